// Registering a device for a resident. The server answers the device's secret once and keeps
// only its encrypted form, so the secret is shown here once, boxed, with a QR code for the
// installer, and is gone when the box is closed or the page is left.

import { useState } from "preact/hooks";
import { ApiError, post, seg } from "../api";
import { useI18n } from "../i18n";
import { label } from "../messages";
import type { Device } from "../types";
import { ErrorMessage } from "./ErrorMessage";
import { Field } from "./Field";
import { QrCode } from "./QrCode";

/** `safetynet_residents::DEVICE_KINDS` and `PROTOCOLS`. */
export const DEVICE_KINDS = ["pendant", "ai-speaker", "gateway", "fire", "smoke", "gas", "activity", "door"];
export const PROTOCOLS = ["http", "mqtt", "dc09"];

export function DeviceRegister({ residentId, onRegistered }: { residentId: string; onRegistered: () => void }) {
  const { m } = useI18n();
  const [kind, setKind] = useState("pendant");
  const [protocol, setProtocol] = useState("http");
  const [account, setAccount] = useState("");
  const [heartbeat, setHeartbeat] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Device>();

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (protocol === "dc09" && !/^[0-9a-fA-F]{3,16}$/.test(account)) errs.dc09_account = m.common.invalid;
    if (heartbeat) {
      const n = Number(heartbeat);
      if (!Number.isInteger(n) || n < 10 || n > 604800) errs.heartbeat_interval_s = m.common.range(10, 604800);
    }
    setErrors(errs);
    setError(undefined);
    if (Object.keys(errs).length) return;
    const body: Record<string, unknown> = { kind, protocol };
    if (protocol === "dc09") body.dc09_account = account;
    if (heartbeat) body.heartbeat_interval_s = Number(heartbeat);
    setBusy(true);
    try {
      const d = await post<Device>(`/api/v1/residents/${seg(residentId)}/devices`, body);
      setCreated(d);
      setAccount("");
      setHeartbeat("");
      onRegistered();
    } catch (err) {
      const ae = err instanceof ApiError ? err : new ApiError(0, "network", String(err));
      if (ae.field && ["kind", "protocol", "dc09_account", "heartbeat_interval_s"].includes(ae.field)) {
        setErrors({ [ae.field]: `${m.common.invalid}: ${ae.message}` });
      } else setError(ae);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      {created?.secret ? (
        <div class="secret-box" role="region" aria-labelledby="secret-h" data-testid="device-secret-box">
          <h3 id="secret-h">{m.resident.secretTitle}</h3>
          <p>{m.resident.secretHelp}</p>
          <div class="secret-grid">
            <dl class="facts">
              <dt>{m.resident.secretDevice}</dt>
              <dd>
                <code data-testid="device-id">{created.id}</code>
              </dd>
              <dt>{m.resident.secret}</dt>
              <dd>
                <code class="secret" data-testid="device-secret">
                  {created.secret}
                </code>
              </dd>
            </dl>
            <QrCode
              text={JSON.stringify({ suite: window.location.origin, device_id: created.id, secret: created.secret })}
              label={m.resident.qrAlt(created.id)}
            />
          </div>
          <button type="button" class="btn btn-secondary" onClick={() => setCreated(undefined)} data-testid="secret-done">
            {m.resident.secretDone}
          </button>
        </div>
      ) : null}
      <form class="inline-form" onSubmit={submit} noValidate aria-labelledby="device-register-h" data-testid="device-form">
        <h3 id="device-register-h">{m.resident.registerDevice}</h3>
        <Field id="device-kind" label={m.resident.deviceKind} required error={errors.kind}>
          {(p) => (
            <select {...p} name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
              {DEVICE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {label(m.labels.deviceKind, k)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="device-protocol" label={m.resident.protocol} required error={errors.protocol}>
          {(p) => (
            <select {...p} name="protocol" value={protocol} onChange={(e) => setProtocol(e.currentTarget.value)}>
              {PROTOCOLS.map((k) => (
                <option key={k} value={k}>
                  {label(m.labels.protocol, k)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {protocol === "dc09" ? (
          <Field id="device-dc09_account" label={m.resident.dc09Account} required error={errors.dc09_account}>
            {(p) => (
              <input {...p} name="dc09_account" required pattern="[0-9a-fA-F]{3,16}" value={account} onInput={(e) => setAccount(e.currentTarget.value)} />
            )}
          </Field>
        ) : null}
        <Field id="device-heartbeat_interval_s" label={`${m.resident.heartbeat} ${m.common.optional}`} error={errors.heartbeat_interval_s}>
          {(p) => (
            <input {...p} name="heartbeat_interval_s" type="number" min={10} max={604800} value={heartbeat} onInput={(e) => setHeartbeat(e.currentTarget.value)} />
          )}
        </Field>
        <ErrorMessage error={error} />
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="device-register">
          {m.resident.register}
        </button>
      </form>
    </>
  );
}
