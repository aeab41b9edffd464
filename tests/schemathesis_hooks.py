"""Schemathesis hooks for tests/tests/openapi.rs (loaded through SCHEMATHESIS_HOOKS).

Generated requests otherwise never get past two doors: random path ids only ever meet 404, and
the device-event webhook refuses anything not signed with a real device's secret. So:

- about half of the generated path ids (chosen from the generated value, so a seed replays the
  same way) are swapped for ids of records the test enrolled, so detail views, device lists and
  incident transitions (200 and 409) are checked against the document too;
- every device-event body with a `device_id` names one of the enrolled devices and is signed with
  its secret (`X-SafetyNet-Signature: v1=<hmac-sha256(secret, timestamp + "." + body)>`), so the
  fuzzed kinds, times, sequences and data reach the routing and incident code.

The test passes the records in environment variables: SAFETYNET_ST_RESIDENTS, SAFETYNET_ST_INCIDENTS
(comma-separated ids) and SAFETYNET_ST_DEVICES (comma-separated `id:secret`).
"""

import hashlib
import hmac
import json
import os
import re
import time
import zlib

import schemathesis


def _ids(var):
    return [v for v in os.environ.get(var, "").split(",") if v]


DEVICES = [tuple(d.split(":", 1)) for d in _ids("SAFETYNET_ST_DEVICES")]
REAL_IDS = {
    "resident_id": _ids("SAFETYNET_ST_RESIDENTS"),
    "device_id": [d[0] for d in DEVICES],
    "incident_id": _ids("SAFETYNET_ST_INCIDENTS"),
}
# Ids the suite mints (e.g. from a stateful link) are kept as they are.
MINTED = re.compile(r"^(res|dev|inc)-[0-9a-f]{16}$")


def _crc(value):
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass"))


def _pick(value, choices):
    if not choices or (isinstance(value, str) and MINTED.match(value)):
        return value
    h = _crc(value)
    return value if h % 2 else choices[(h >> 1) % len(choices)]


@schemathesis.hook
def before_call(context, case, kwargs):
    for name, choices in REAL_IDS.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = _pick(case.path_parameters[name], choices)

    if case.operation.path != "/api/v1/device-events" or not DEVICES:
        return
    body = case.body
    if not isinstance(body, dict) or "device_id" not in body:
        return
    device_id, secret = DEVICES[_crc(body) % len(DEVICES)]
    body = dict(body, device_id=device_id)
    case.body = body
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    case.headers = dict(case.headers or {})
    case.headers["X-SafetyNet-Timestamp"] = ts
    case.headers["X-SafetyNet-Signature"] = "v1=" + sig
    # Send exactly the bytes that were signed.
    kwargs["data"] = raw


# Records the token in use may not see (another dong's residents and incidents, or all of them
# for a token with no scope), for the scope check below.
FOREIGN = _ids("SAFETYNET_ST_FOREIGN")


# Authenticated by something other than the staff token: the device-event webhook answers the
# signing device about its own incident, whatever bearer token comes along.
NOT_BY_TOKEN = {"/api/v1/device-events"}


@schemathesis.check
def nothing_across_scopes(ctx, response, case):
    """A successful answer never names a record outside the calling token's scope."""
    if not FOREIGN or response.status_code >= 300 or case.operation.path in NOT_BY_TOKEN:
        return
    body = response.content.decode("utf-8", "replace")
    for record in FOREIGN:
        if record in body:
            raise AssertionError(
                f"{case.method} {case.formatted_path} answered {response.status_code} naming "
                f"{record}, which is outside this token's scope"
            )
