// The incident board (home page): open incidents, most severe and newest first, fetched every
// 2 seconds without reloading the page. An incident the board has not seen before gets a
// highlight, an alert banner (role="alert") and a short beep, so nobody misses it.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, get, withQuery } from "../api";
import { beep } from "../beep";
import { ErrorMessage, Loading } from "../components/ErrorMessage";
import { SeverityBadge, StateBadge } from "../components/Badge";
import { formatTime, minutesSince } from "../format";
import { useI18n } from "../i18n";
import { kindLabel, label } from "../messages";
import { href } from "../router";
import { dongName, useStaff } from "../staff";
import { DongSelect } from "../components/DongSelect";
import type { Incident, ResidentListItem } from "../types";

const POLL_MS = 2000;

/** Kinds that open incidents, for the kind filter. */
export const INCIDENT_KINDS = [
  "emergency-call",
  "voice-sos",
  "fire",
  "smoke",
  "gas",
  "fall",
  "inactivity",
  "crisis-utterance",
  "missed-dose",
  "low-battery",
  "power-loss",
  "device-offline",
];

const SEVERITY_RANK: Record<string, number> = { critical: 3, high: 2, low: 1, info: 0 };

/** Most severe first, then newest. */
function byUrgency(a: Incident, b: Incident): number {
  const s = (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0);
  return s !== 0 ? s : b.opened_at.localeCompare(a.opened_at);
}

interface Filters {
  dong: string;
  kind: string;
  /** `open` (triggered + acknowledged), one state, or `all`. */
  state: string;
}

async function fetchIncidents(f: Filters, signal: AbortSignal): Promise<Incident[]> {
  const one = (state?: string) =>
    get<{ incidents: Incident[] }>(
      withQuery("/api/v1/incidents", { state, dong: f.dong, kind: f.kind, limit: "200" }),
      signal,
    ).then((r) => r.incidents);
  const lists =
    f.state === "open"
      ? await Promise.all([one("triggered"), one("acknowledged")])
      : [await one(f.state === "all" ? undefined : f.state)];
  return lists.flat().sort(byUrgency);
}

export function Board() {
  const { m, lang } = useI18n();
  const { staff, centres } = useStaff();
  const [filters, setFilters] = useState<Filters>({ dong: "", kind: "", state: "open" });
  const [incidents, setIncidents] = useState<Incident[]>();
  const [error, setError] = useState<ApiError>();
  const [updatedAt, setUpdatedAt] = useState<Date>();
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [names, setNames] = useState<Map<string, string>>(new Map());

  // What the board has seen, across filter changes: ids, and the latest opening time. A new
  // incident is one with an unseen id that opened after everything seen so far, so changing a
  // filter never sounds an alarm for old incidents.
  const seen = useRef(new Set<string>());
  const watermark = useRef<string | null>(null);
  const namesAsked = useRef(0);

  useEffect(() => {
    let stopped = false;
    let timer = 0;
    let ctl: AbortController | null = null;
    const poll = async () => {
      ctl = new AbortController();
      try {
        const list = await fetchIncidents(filters, ctl.signal);
        if (stopped) return;
        const first = watermark.current === null;
        const arrived = first
          ? []
          : list.filter((i) => !seen.current.has(i.id) && i.opened_at > (watermark.current ?? ""));
        for (const i of list) {
          seen.current.add(i.id);
          if (watermark.current === null || i.opened_at > watermark.current) watermark.current = i.opened_at;
        }
        // An empty first answer still sets the baseline: whatever opens next is new.
        if (watermark.current === null) watermark.current = "";
        setIncidents(list);
        setError(undefined);
        setUpdatedAt(new Date());
        if (arrived.length > 0) {
          setFresh((old) => new Set([...old, ...arrived.map((i) => i.id)]));
          beep();
        }
      } catch (e) {
        if (stopped || (e instanceof DOMException && e.name === "AbortError")) return;
        setError(e instanceof ApiError ? e : new ApiError(0, "network", String(e)));
      }
      if (!stopped) timer = window.setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      ctl?.abort();
      window.clearTimeout(timer);
    };
  }, [filters.dong, filters.kind, filters.state]);

  // Residents' names for the rows: the list is in the worker's scope; asked again (at most
  // every 30 s) when an incident names someone the board does not know yet.
  useEffect(() => {
    if (!incidents) return;
    const unknown = incidents.some((i) => !names.has(i.resident_id));
    if (!unknown || Date.now() - namesAsked.current < 30000) return;
    namesAsked.current = Date.now();
    const ctl = new AbortController();
    get<{ residents: ResidentListItem[] }>("/api/v1/residents", ctl.signal)
      .then((r) => setNames(new Map(r.residents.map((x) => [x.id, x.name]))))
      .catch(() => {});
    return () => ctl.abort();
  }, [incidents]);

  const freshList = useMemo(
    () => (incidents ?? []).filter((i) => fresh.has(i.id)),
    [incidents, fresh],
  );

  const set = (k: keyof Filters) => (e: Event) =>
    setFilters((f) => ({ ...f, [k]: (e.currentTarget as HTMLSelectElement).value }));

  const bannerText = freshList
    .slice(0, 3)
    .map((i) => `${kindLabel(m, i.kind)} (${dongName(centres, i.dong)}${names.get(i.resident_id) ? `, ${names.get(i.resident_id)}` : ""})`)
    .join(", ");

  return (
    <>
      <h1>{m.board.title}</h1>
      <p class="lead">{m.board.intro}</p>

      <div class="banner-slot">
        {freshList.length > 0 ? (
          <div class="banner-alert" role="alert" data-testid="new-incident-banner">
            <p>
              <strong>{m.board.newBanner(freshList.length, bannerText)}</strong>{" "}
              <a href={href.incident(freshList[0].id)}>{m.board.open}</a>
            </p>
            <button type="button" class="btn btn-quiet" onClick={() => setFresh(new Set())} data-testid="dismiss-banner">
              {m.board.dismiss}
            </button>
          </div>
        ) : null}
      </div>

      <form class="filters" aria-label={m.board.filters} onSubmit={(e) => e.preventDefault()}>
        {staff.dong ? null : (
          <DongSelect
            id="filter-dong"
            value={filters.dong}
            onChange={(dong) => setFilters((f) => ({ ...f, dong }))}
            emptyLabel={m.header.allDongs}
            testId="filter-dong"
          />
        )}
        <div class="field field-inline">
          <label for="filter-kind">{m.board.kind}</label>
          <select id="filter-kind" value={filters.kind} onChange={set("kind")} data-testid="filter-kind">
            <option value="">{m.common.all}</option>
            {INCIDENT_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindLabel(m, k)}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-inline">
          <label for="filter-state">{m.board.state}</label>
          <select id="filter-state" value={filters.state} onChange={set("state")} data-testid="filter-state">
            <option value="open">{m.board.openStates}</option>
            {["triggered", "acknowledged", "resolved", "cancelled"].map((s) => (
              <option key={s} value={s}>
                {label(m.labels.state, s)}
              </option>
            ))}
            <option value="all">{m.board.allStates}</option>
          </select>
        </div>
      </form>

      <p class="small board-status" data-testid="board-status">
        {updatedAt ? m.board.lastUpdated(formatTime(updatedAt.toISOString(), lang)) : null}
        {incidents ? ` · ${m.board.count(incidents.length)}` : null}
      </p>
      {error ? (
        <>
          <p class="notice notice-warn" role="status">
            {m.board.stale}
          </p>
          <ErrorMessage error={error} />
        </>
      ) : null}

      {!incidents ? (
        error ? null : <Loading />
      ) : incidents.length === 0 ? (
        <p class="empty" data-testid="board-empty">
          {m.board.empty}
        </p>
      ) : (
        <div class="table-wrap">
          <table class="data board" data-testid="incident-table">
            <caption>{m.board.tableCaption}</caption>
            <thead>
              <tr>
                <th scope="col">{m.board.col.kind}</th>
                <th scope="col">{m.board.col.severity}</th>
                <th scope="col">{m.board.col.state}</th>
                <th scope="col">{m.board.col.resident}</th>
                <th scope="col">{m.board.col.dong}</th>
                <th scope="col">{m.board.col.opened}</th>
                <th scope="col">{m.board.col.events}</th>
                <th scope="col">{m.board.col.dispatch}</th>
              </tr>
            </thead>
            <tbody>
              {incidents.map((i) => (
                <tr
                  key={i.id}
                  class={`sev-row-${i.severity}${fresh.has(i.id) ? " is-new" : ""}`}
                  data-testid="incident-row"
                  data-incident-id={i.id}
                  data-state={i.state}
                >
                  <th scope="row">
                    <a href={href.incident(i.id)} data-testid="incident-link">
                      {kindLabel(m, i.kind)}
                    </a>
                    {fresh.has(i.id) ? <span class="badge badge-new">{m.board.newMark}</span> : null}
                  </th>
                  <td>
                    <SeverityBadge severity={i.severity} />
                  </td>
                  <td>
                    <StateBadge state={i.state} />
                  </td>
                  <td>{names.get(i.resident_id) ?? i.resident_id}</td>
                  <td>{dongName(centres, i.dong)}</td>
                  <td>
                    <time dateTime={i.opened_at}>{formatTime(i.opened_at, lang)}</time>
                    <span class="small block">{m.common.minutesAgo(minutesSince(i.opened_at))}</span>
                  </td>
                  <td class="num">{i.event_count}</td>
                  <td>
                    {i.dispatch_failed ? (
                      <span class="badge badge-fail">{m.board.dispatchFailed}</span>
                    ) : (
                      label(m.labels.dispatch, i.dispatch_status) || "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
