// Who is signed in and the welfare-centre directory, shared by every page: roles decide which
// actions are offered (the server decides what is allowed), and dong codes read as centre names.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Centre, Staff } from "./types";

export interface StaffInfo {
  staff: Staff;
  centres: Centre[];
}

export const StaffContext = createContext<StaffInfo | null>(null);

/** The signed-in staff member; pages render only inside a session. */
export function useStaff(): StaffInfo {
  const s = useContext(StaffContext);
  if (!s) throw new Error("useStaff outside a session");
  return s;
}

/** Roles that enrol residents and register devices (the server checks the dong too). */
export const canManageResidents = (s: Staff) => s.role === "welfare-centre" || s.role === "admin";

/** Roles that may act on incidents. */
export const canActOnIncidents = (s: Staff) =>
  s.role === "welfare-centre" || s.role === "dispatcher" || s.role === "admin";

/** A dong's display name: its centre's name without the "행정복지센터" suffix, else the code. */
export function dongName(centres: Centre[], dong: string | null | undefined): string {
  if (!dong) return "";
  const c = centres.find((x) => x.dong === dong);
  if (!c) return dong;
  return c.name.replace(/\s*행정복지센터$/, "") || dong;
}
