#!/usr/bin/env bash
# `make test`: every test in the workspace (unit, host conformance, end to end) on the embedded
# host; then, where real Spin 4.0.2 is beside the project (../shared/tools/real-spin), the host
# conformance and end-to-end tests again on real Spin; then one closing line with the totals
# over all test binaries ("N passed, N failed, N skipped").
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --release --no-fail-fast --workspace "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

spin=../shared/tools/real-spin
if [ -x "$spin" ]; then
  echo
  echo "== the same conformance and end-to-end tests on real Spin 4.0.2 ($spin)"
  SAFETYNET_RUNTIME=spin cargo test --release --no-fail-fast -p safetynet-tests \
    --test host_conformance --test emergency --test reminders --test officers --test scoring \
    --test upgrade --test caregivers --test lifecycle --test tokens --test access_log --test retention --test personal_data --test console 2>&1 | tee -a "$log"
  spin_status=${PIPESTATUS[0]}
  [ "$status" -ne 0 ] || status=$spin_status
  spin_line="the Spin half ran"
else
  spin_line="real Spin not found at $spin: the Spin half of the end-to-end tests was skipped"
  echo
  echo "$spin_line"
fi

awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "\n%d passed, %d failed, %d skipped", p, f, s }' "$log"
echo " ($spin_line)"
exit "$status"
