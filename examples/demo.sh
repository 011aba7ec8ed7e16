#!/usr/bin/env bash
# The demo: start the bundled Connect emulator with a sample inventory, plan the
# top-level numbers.yaml against it with real boto3, then show the same plan
# refused by the rolling quota when the history is busy. Stops the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
work=$(mktemp -d)
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Dummy credentials: the emulator accepts any signature; nothing leaves 127.0.0.1.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true

"$BIN/connect-numbers" emulator --seed examples/emulator-seed.yaml --port 0 \
  >"$work/emulator.out" 2>"$work/emulator.log" &
emu_pid=$!
for _ in $(seq 100); do
  [ -s "$work/emulator.out" ] && break
  sleep 0.1
done
AWS_ENDPOINT_URL_CONNECT=$(head -n 1 "$work/emulator.out")
export AWS_ENDPOINT_URL_CONNECT
echo "== Connect emulator at $AWS_ENDPOINT_URL_CONNECT (seed: examples/emulator-seed.yaml)"
echo
echo "== connect-numbers plan --numbers numbers.yaml"
"$BIN/connect-numbers" plan --numbers numbers.yaml
echo
# A history with 18 of the 20 allowed actions spent in the last 180 days.
"$BIN/python" - "$work/busy-ledger.jsonl" <<'PY'
import json, sys
from datetime import UTC, datetime, timedelta
now = datetime.now(UTC)
with open(sys.argv[1], "w") as out:
    for i in range(18):
        at = now - timedelta(days=170 - 5 * i)
        action = "release" if i % 2 else "claim"
        out.write(json.dumps({"action": action, "phone_number": f"+1206555{7000 + i}",
                              "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": "done"}) + "\n")
PY
echo "== the same plan with a busy history: connect-numbers plan --ledger busy-ledger.jsonl"
code=0
"$BIN/connect-numbers" plan --numbers numbers.yaml --ledger "$work/busy-ledger.jsonl" || code=$?
echo
echo "(exit code $code: 3 means refused by a rule; nothing was released)"
[ "$code" -eq 3 ]
