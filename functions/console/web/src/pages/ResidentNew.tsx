// Enrolling a resident. The browser checks what it can (the same rules as the server) and shows
// each problem next to its field; whatever the server still refuses comes back naming a field
// (`{"error": {"field": "contacts[0].phone", …}}`) and is shown next to that field too.

import { useRef, useState } from "preact/hooks";
import { ApiError, post } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { currentYearKst } from "../format";
import { useI18n } from "../i18n";
import { label, type Messages } from "../messages";
import { href, navigate } from "../router";
import { dongName, useStaff } from "../staff";
import type { Resident } from "../types";

export const ELIGIBILITIES = [
  "elderly-alone",
  "disabled",
  "middle-aged-single",
  "recently-discharged",
  "temporary-housing",
];

export const RELATIONS = ["child", "spouse", "sibling", "neighbour", "friend", "other"];

interface ContactDraft {
  key: number;
  name: string;
  phone: string;
  relation: string;
}

interface Draft {
  name: string;
  birth_year: string;
  phone: string;
  address: string;
  dong: string;
  eligibility: string;
  eligibility_until: string;
  medical_notes: string;
  inactivity_hours: string;
  contacts: ContactDraft[];
}

type Errors = Record<string, string>;

/** The element id of an API field name: `contacts[0].phone` → `enrol-contacts-0-phone`. */
export const fieldId = (field: string) => `enrol-${field.replace(/[^a-zA-Z0-9]+/g, "-").replace(/-$/, "")}`;

/** The server's phone rule (`safetynet_http::validate::phone`). */
export function validPhone(s: string): boolean {
  const digits = s.replace(/\D/g, "").length;
  return /^[0-9+\- ]+$/.test(s) && digits >= 9 && digits <= 13;
}

const PHONE_PATTERN = "[0-9+\\- ]{9,20}";

function validate(d: Draft, m: Messages): Errors {
  const e: Errors = {};
  const req = (field: string, v: string, max: number) => {
    if (!v.trim()) e[field] = m.common.required;
    else if (v.length > max) e[field] = m.common.tooLong(max);
  };
  req("name", d.name, 100);
  req("address", d.address, 300);
  if (!d.dong) e.dong = m.common.required;
  if (!d.eligibility) e.eligibility = m.common.required;
  const year = currentYearKst();
  if (d.birth_year) {
    const y = Number(d.birth_year);
    if (!Number.isInteger(y) || y < 1900 || y > year) e.birth_year = m.common.range(1900, year);
  }
  if (d.phone && !validPhone(d.phone)) e.phone = m.common.phoneFormat;
  if (d.eligibility === "recently-discharged" && !d.eligibility_until) e.eligibility_until = m.common.required;
  if (d.medical_notes.length > 2000) e.medical_notes = m.common.tooLong(2000);
  if (d.inactivity_hours) {
    const h = Number(d.inactivity_hours);
    if (!Number.isInteger(h) || h < 1 || h > 168) e.inactivity_threshold_minutes = m.common.range(1, 168);
  }
  contactsToSend(d).forEach(({ c, i }) => {
    req(`contacts[${i}].name`, c.name, 100);
    if (!c.phone.trim()) e[`contacts[${i}].phone`] = m.common.required;
    else if (!validPhone(c.phone.trim())) e[`contacts[${i}].phone`] = m.common.phoneFormat;
    if (!c.relation) e[`contacts[${i}].relation`] = m.common.required;
  });
  return e;
}

/** Contacts with anything filled in, numbered as the server will number them. */
function contactsToSend(d: Draft): { c: ContactDraft; i: number }[] {
  return d.contacts
    .filter((c) => c.name.trim() || c.phone.trim() || c.relation)
    .map((c, i) => ({ c, i }));
}

function toBody(d: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: d.name.trim(),
    address: d.address.trim(),
    dong: d.dong,
    eligibility: d.eligibility,
    contacts: contactsToSend(d).map(({ c, i }) => ({
      name: c.name.trim(),
      phone: c.phone.trim(),
      relation: c.relation,
      priority: i + 1,
    })),
  };
  if (d.birth_year) body.birth_year = Number(d.birth_year);
  if (d.phone.trim()) body.phone = d.phone.trim();
  if (d.medical_notes.trim()) body.medical_notes = d.medical_notes.trim();
  if (d.inactivity_hours) body.inactivity_threshold_minutes = Number(d.inactivity_hours) * 60;
  // The last day of support, to its end in Korea.
  if (d.eligibility === "recently-discharged" && d.eligibility_until) {
    body.eligibility_until = `${d.eligibility_until}T23:59:59+09:00`;
  }
  return body;
}

export function ResidentNew() {
  const { m } = useI18n();
  const { staff, centres } = useStaff();
  const dongs = staff.dong ? [staff.dong] : centres.map((c) => c.dong);
  const nextKey = useRef(1);
  const [d, setD] = useState<Draft>({
    name: "",
    birth_year: "",
    phone: "",
    address: "",
    dong: staff.dong ?? "",
    eligibility: "",
    eligibility_until: "",
    medical_notes: "",
    inactivity_hours: "",
    contacts: [{ key: 0, name: "", phone: "", relation: "" }],
  });
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const set = (k: keyof Draft) => (e: Event) =>
    setD((old) => ({ ...old, [k]: (e.currentTarget as HTMLInputElement).value }));
  const setContact = (key: number, k: keyof ContactDraft) => (e: Event) =>
    setD((old) => ({
      ...old,
      contacts: old.contacts.map((c) => (c.key === key ? { ...c, [k]: (e.currentTarget as HTMLInputElement).value } : c)),
    }));

  function focusFirst(errs: Errors) {
    const first = Object.keys(errs)[0];
    if (!first) return;
    requestAnimationFrame(() => document.getElementById(fieldId(first === "inactivity_threshold_minutes" ? "inactivity_hours" : first))?.focus());
  }

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    const errs = validate(d, m);
    setErrors(errs);
    if (Object.keys(errs).length) {
      focusFirst(errs);
      return;
    }
    setBusy(true);
    try {
      const r = await post<Resident>("/api/v1/residents", toBody(d));
      navigate(href.resident(r.id));
    } catch (err) {
      const ae = err instanceof ApiError ? err : new ApiError(0, "network", String(err));
      const target = ae.field === "inactivity_threshold_minutes" ? "inactivity_hours" : ae.field;
      if (ae.field && target && document.getElementById(fieldId(target))) {
        const errs = { [ae.field]: `${m.common.invalid}: ${ae.message}` };
        setErrors(errs);
        focusFirst(errs);
      } else {
        setError(ae);
      }
    } finally {
      setBusy(false);
    }
  }

  const err = (f: string) => errors[f];
  // Contact errors are numbered among the filled-in contacts, as sent.
  const sentIndex = new Map(contactsToSend(d).map(({ c, i }) => [c.key, i]));
  const cErr = (key: number, f: string) => {
    const i = sentIndex.get(key);
    return i === undefined ? undefined : errors[`contacts[${i}].${f}`];
  };
  const cId = (key: number, f: string) => {
    const i = sentIndex.get(key);
    return i === undefined ? `enrol-contact-${key}-${f}` : fieldId(`contacts[${i}].${f}`);
  };
  const year = currentYearKst();

  return (
    <>
      <p>
        <a href={href.residents}>← {m.resident.back}</a>
      </p>
      <h1>{m.enrol.title}</h1>
      <p class="small">
        <span aria-hidden="true">* </span>
        {m.enrol.intro}
      </p>
      <form ref={formRef} class="card form-grid" onSubmit={submit} noValidate data-testid="enrol-form">
        {Object.keys(errors).length ? (
          <p class="notice notice-error" role="alert" data-testid="enrol-errors">
            {m.enrol.fixErrors}
          </p>
        ) : null}
        <ErrorMessage error={error} />
        <fieldset>
          <legend>{m.enrol.person}</legend>
          <Field id={fieldId("name")} label={m.enrol.name} required error={err("name")}>
            {(p) => <input {...p} name="name" required maxLength={100} autoComplete="off" value={d.name} onInput={set("name")} />}
          </Field>
          <Field id={fieldId("birth_year")} label={m.enrol.birthYear} error={err("birth_year")} class="narrow">
            {(p) => (
              <input {...p} name="birth_year" type="number" inputMode="numeric" min={1900} max={year} value={d.birth_year} onInput={set("birth_year")} />
            )}
          </Field>
          <Field id={fieldId("phone")} label={`${m.enrol.phone} ${m.common.optional}`} error={err("phone")}>
            {(p) => <input {...p} name="phone" type="tel" pattern={PHONE_PATTERN} autoComplete="off" value={d.phone} onInput={set("phone")} />}
          </Field>
          <Field id={fieldId("address")} label={m.enrol.address} required error={err("address")}>
            {(p) => <input {...p} name="address" required maxLength={300} autoComplete="off" value={d.address} onInput={set("address")} />}
          </Field>
          <Field id={fieldId("dong")} label={m.enrol.dong} required error={err("dong")}>
            {(p) => (
              <select {...p} name="dong" required value={d.dong} onChange={set("dong")}>
                {dongs.length !== 1 ? <option value="">{m.enrol.choose}</option> : null}
                {dongs.map((x) => (
                  <option key={x} value={x}>
                    {dongName(centres, x)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field id={fieldId("eligibility")} label={m.enrol.eligibility} required error={err("eligibility")}>
            {(p) => (
              <select {...p} name="eligibility" required value={d.eligibility} onChange={set("eligibility")}>
                <option value="">{m.enrol.choose}</option>
                {ELIGIBILITIES.map((x) => (
                  <option key={x} value={x}>
                    {label(m.labels.eligibility, x)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {d.eligibility === "recently-discharged" ? (
            <Field
              id={fieldId("eligibility_until")}
              label={m.enrol.eligibilityUntil}
              hint={m.enrol.eligibilityUntilHelp}
              required
              error={err("eligibility_until")}
            >
              {(p) => <input {...p} name="eligibility_until" type="date" required value={d.eligibility_until} onInput={set("eligibility_until")} />}
            </Field>
          ) : null}
          <Field id={fieldId("medical_notes")} label={`${m.enrol.medical} ${m.common.optional}`} error={err("medical_notes")}>
            {(p) => <textarea {...p} name="medical_notes" rows={3} maxLength={2000} value={d.medical_notes} onInput={set("medical_notes")} />}
          </Field>
          <Field
            id={fieldId("inactivity_hours")}
            label={`${m.enrol.inactivity} ${m.common.optional}`}
            error={err("inactivity_threshold_minutes")}
            class="narrow"
          >
            {(p) => (
              <input {...p} name="inactivity_hours" type="number" inputMode="numeric" min={1} max={168} value={d.inactivity_hours} onInput={set("inactivity_hours")} />
            )}
          </Field>
        </fieldset>

        <fieldset>
          <legend>{m.enrol.contacts}</legend>
          {d.contacts.map((c, n) => (
            <div class="contact-row" key={c.key} role="group" aria-label={m.enrol.contact(n + 1)}>
              <Field id={cId(c.key, "name")} label={`${m.enrol.contact(n + 1)} ${m.enrol.contactName}`} error={cErr(c.key, "name")}>
                {(p) => <input {...p} maxLength={100} autoComplete="off" value={c.name} onInput={setContact(c.key, "name")} />}
              </Field>
              <Field id={cId(c.key, "phone")} label={`${m.enrol.contact(n + 1)} ${m.enrol.contactPhone}`} error={cErr(c.key, "phone")}>
                {(p) => <input {...p} type="tel" pattern={PHONE_PATTERN} autoComplete="off" value={c.phone} onInput={setContact(c.key, "phone")} />}
              </Field>
              <Field id={cId(c.key, "relation")} label={`${m.enrol.contact(n + 1)} ${m.enrol.contactRelation}`} error={cErr(c.key, "relation")}>
                {(p) => (
                  <select {...p} value={c.relation} onChange={setContact(c.key, "relation")}>
                    <option value="">{m.enrol.choose}</option>
                    {RELATIONS.map((x) => (
                      <option key={x} value={x}>
                        {label(m.labels.relation, x)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <button
                type="button"
                class="btn btn-quiet"
                onClick={() => setD((old) => ({ ...old, contacts: old.contacts.filter((x) => x.key !== c.key) }))}
              >
                {m.enrol.removeContact(n + 1)}
              </button>
            </div>
          ))}
          <button
            type="button"
            class="btn btn-secondary"
            onClick={() =>
              setD((old) => ({ ...old, contacts: [...old.contacts, { key: nextKey.current++, name: "", phone: "", relation: "" }] }))
            }
            data-testid="add-contact"
          >
            {m.enrol.addContact}
          </button>
        </fieldset>

        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="enrol-submit">
          {busy ? m.enrol.submitting : m.enrol.submit}
        </button>
      </form>
    </>
  );
}
