#!/usr/bin/env python3
"""Expands RRULEs with python-dateutil, the independent implementation our schedule component
(components/schedule, on the Rust `rrule` crate) is compared with.

stdin: a JSON list of cases {"rule": str, "tz": str, "from": ms, "to": ms, "limit": int}.
stdout: a JSON list, per case, of occurrence instants (unix ms) with from <= t <= to, earliest
first, at most `limit`. Floating DTSTART/EXDATE/UNTIL values (no Z, no TZID) are read in the
case's zone, as the schedule component reads them.
"""
import json
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def expand(case):
    zone = ZoneInfo(case["tz"] or "Asia/Seoul")
    rule = rrulestr(case["rule"], forceset=True)
    lo, hi, limit = case["from"], case["to"], case["limit"]
    out = []
    for dt in rule:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=zone)
        ms = int(dt.astimezone(timezone.utc).timestamp() * 1000)
        if ms > hi or len(out) >= limit:
            break
        if ms >= lo:
            out.append(ms)
    return out


def main():
    cases = json.load(sys.stdin)
    json.dump([expand(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
