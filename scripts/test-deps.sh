#!/usr/bin/env bash
# What the tests need besides Rust: a Python virtualenv (.venv) with the independent
# implementations they check us against, and a mosquitto broker. Idempotent and quick when
# everything is there; `make test` runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."

# schemathesis checks the OpenAPI document against the running suite (tests/tests/openapi.rs,
# which fails if this venv is missing). Pinned: the test's options are written for this version.
SCHEMATHESIS_VERSION=4.32.5
echo "== schemathesis ${SCHEMATHESIS_VERSION} in .venv"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv || { echo "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
fi
if [ "$(.venv/bin/schemathesis --version 2>/dev/null || true)" != "schemathesis, version ${SCHEMATHESIS_VERSION}" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}"
fi
# python-dateutil's rrule independently checks our RRULE expansion (components/schedule/tests/dateutil.rs).
.venv/bin/python -c "import dateutil" 2>/dev/null \
  || .venv/bin/python -m pip install --quiet --disable-pip-version-check "python-dateutil==2.9.0.post0"

# The device bridge's tests (tests/tests/bridge.rs): an independent DC-09 sender (pysiaalarm),
# a speaker on paho-mqtt, and a real mosquitto broker (each test starts its own on a free port).
.venv/bin/python -c "import pysiaalarm, paho.mqtt" 2>/dev/null \
  || .venv/bin/python -m pip install --quiet --disable-pip-version-check "pysiaalarm==3.2.2" "paho-mqtt==2.2.0"
if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then
  echo "== mosquitto"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mosquitto >/dev/null
fi


# The console's browser tests (tests/tests/console.rs): Debian's Chromium (never a downloaded
# browser), a Korean font for its screenshots, and playwright-core + axe-core from the lockfile.
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then
  echo "== chromium, chromium-driver, fonts-noto-cjk"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
fi
if [ ! -f tests/browser/node_modules/.package-lock.json ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  echo "== tests/browser: npm ci"
  npm --prefix tests/browser ci --no-audit --no-fund
fi
