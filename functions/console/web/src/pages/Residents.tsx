// The residents within the worker's scope, searchable by name (in the browser: the list is one
// dong's, and the API has no name search — names are encrypted at rest).

import { useMemo, useState } from "preact/hooks";
import { get } from "../api";
import { ErrorMessage, Loading } from "../components/ErrorMessage";
import { formatTime } from "../format";
import { useI18n } from "../i18n";
import { label } from "../messages";
import { href } from "../router";
import { canManageResidents, dongName, useStaff } from "../staff";
import type { ResidentListItem } from "../types";
import { useLoad } from "../useLoad";

export function Residents() {
  const { m, lang } = useI18n();
  const { staff, centres } = useStaff();
  const [query, setQuery] = useState("");
  const { data, error } = useLoad(
    (signal) => get<{ residents: ResidentListItem[] }>("/api/v1/residents", signal).then((r) => r.residents),
    [],
  );
  const shown = useMemo(() => {
    const q = query.trim().toLocaleLowerCase();
    const list = (data ?? []).filter((r) => !q || r.name.toLocaleLowerCase().includes(q));
    return list.sort((a, b) => a.name.localeCompare(b.name, "ko"));
  }, [data, query]);

  return (
    <>
      <div class="page-head">
        <h1>{m.residents.title}</h1>
        {canManageResidents(staff) ? (
          <a class="btn btn-primary" href={href.residentNew} data-testid="enrol-link">
            {m.residents.enrol}
          </a>
        ) : null}
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field field-inline">
          <label for="resident-search">{m.residents.searchLabel}</label>
          <input
            id="resident-search"
            type="search"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            data-testid="resident-search"
          />
        </div>
      </form>
      <ErrorMessage error={error} />
      {!data ? (
        error ? null : <Loading />
      ) : shown.length === 0 ? (
        <p class="empty" data-testid="residents-empty">
          {m.residents.empty}
        </p>
      ) : (
        <div class="table-wrap">
          <table class="data" data-testid="resident-table">
            <caption>
              {m.residents.tableCaption} ({m.residents.count(shown.length)})
            </caption>
            <thead>
              <tr>
                <th scope="col">{m.residents.col.name}</th>
                <th scope="col">{m.residents.col.dong}</th>
                <th scope="col">{m.residents.col.eligibility}</th>
                <th scope="col">{m.residents.col.lastActivity}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.id} data-testid="resident-row" data-resident-id={r.id}>
                  <th scope="row">
                    <a href={href.resident(r.id)}>{r.name}</a>
                  </th>
                  <td>{dongName(centres, r.dong)}</td>
                  <td>{label(m.labels.eligibility, r.eligibility)}</td>
                  <td>{r.last_activity_at ? formatTime(r.last_activity_at, lang) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
