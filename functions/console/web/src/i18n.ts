// The chosen language: kept in localStorage, mirrored on <html lang>, handed to every
// component through a context so a toggle re-renders the whole console at once.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { type Lang, type Messages, catalogues } from "./messages";

const KEY = "safetynet.lang";

/** The language saved by the toggle; Korean unless English was chosen. */
export function savedLang(): Lang {
  try {
    return localStorage.getItem(KEY) === "en" ? "en" : "ko";
  } catch {
    return "ko";
  }
}

/** Saves the choice and tells assistive technology which language the page is in. */
export function applyLang(lang: Lang): void {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  document.documentElement.lang = lang;
}

/** The window title for a page: "사건 상황판 — Safety Net 안전망". */
export function setTitle(page: string, m: Messages): void {
  document.title = page ? `${page} — ${m.appName}` : m.appName;
}

export interface I18n {
  lang: Lang;
  m: Messages;
}

export const I18nContext = createContext<I18n>({ lang: "ko", m: catalogues.ko });

/** The current language and its messages. */
export const useI18n = (): I18n => useContext(I18nContext);
