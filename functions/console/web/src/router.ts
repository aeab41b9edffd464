// Hash routes (`#/board`, `#/incidents/:id`, …): the server serves one page, and a reload or
// a bookmark lands on the same screen without any server-side routing.

import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "board" }
  | { page: "incident"; id: string }
  | { page: "residents" }
  | { page: "resident-new" }
  | { page: "resident"; id: string }
  | { page: "crisis" }
  | { page: "stats" }
  | { page: "not-found" };

/** Reads a route from a hash such as `#/incidents/inc-1234`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "") || "/board";
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  switch (parts[0]) {
    case "board":
      return parts.length === 1 ? { page: "board" } : { page: "not-found" };
    case "incidents":
      return parts.length === 2 ? { page: "incident", id: parts[1] } : { page: "not-found" };
    case "residents":
      if (parts.length === 1) return { page: "residents" };
      if (parts.length === 2 && parts[1] === "new") return { page: "resident-new" };
      if (parts.length === 2) return { page: "resident", id: parts[1] };
      return { page: "not-found" };
    case "crisis":
      return { page: "crisis" };
    case "stats":
      return { page: "stats" };
    default:
      return { page: "not-found" };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A link target for a route (ids are encoded). */
export const href = {
  board: "#/board",
  incident: (id: string) => `#/incidents/${encodeURIComponent(id)}`,
  residents: "#/residents",
  residentNew: "#/residents/new",
  resident: (id: string) => `#/residents/${encodeURIComponent(id)}`,
  crisis: "#/crisis",
  stats: "#/stats",
};

/** Goes to a route (adds a history entry, like following a link). */
export function navigate(to: string): void {
  window.location.hash = to;
}

/** The current route, updated on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
