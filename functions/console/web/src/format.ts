// Dates and numbers as a person in the city reads them: Korea Standard Time, whatever the
// browser's own zone (a 119 operator and a welfare worker must see the same minute).

import type { Lang } from "./messages";

const ZONE = "Asia/Seoul";

const dateTime: Record<Lang, Intl.DateTimeFormat> = {
  ko: new Intl.DateTimeFormat("ko-KR", {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  }),
  en: new Intl.DateTimeFormat("en-GB", {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  }),
};

const dateOnly = new Intl.DateTimeFormat("en-CA", {
  timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
});

/** `2026. 12. 01. 09:30:05` (ko) or `01/12/2026, 09:30:05` (en), in KST; "" for null. */
export function formatTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime[lang].format(d);
}

/** `2026-12-01` in KST. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}

/** The current year in KST (the city's statistics year). */
export function currentYearKst(now = new Date()): number {
  return Number(dateOnly.format(now).slice(0, 4));
}

/** Age in whole years this year, from a year of birth (a responder's estimate). */
export function ageFromBirthYear(birthYear: number | null | undefined, now = new Date()): number | null {
  if (!birthYear) return null;
  return currentYearKst(now) - birthYear;
}

/** Minutes since a time, never negative. */
export function minutesSince(iso: string, now = Date.now()): number {
  return Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
}

/** A ratio as a percentage with one decimal, e.g. `87.5%`. */
export function percent(ratio: number): string {
  return `${(Math.round(ratio * 1000) / 10).toFixed(1)}%`;
}
