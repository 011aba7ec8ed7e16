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
# The emulator also answers CloudTrail and Service Quotas for the account.
AWS_ENDPOINT_URL_CLOUDTRAIL=$AWS_ENDPOINT_URL_CONNECT
AWS_ENDPOINT_URL_SERVICE_QUOTAS=$AWS_ENDPOINT_URL_CONNECT
export AWS_ENDPOINT_URL_CONNECT AWS_ENDPOINT_URL_CLOUDTRAIL AWS_ENDPOINT_URL_SERVICE_QUOTAS
echo "== Connect emulator at $AWS_ENDPOINT_URL_CONNECT (seed: examples/emulator-seed.yaml)"
echo
cn() { echo; echo "\$ connect-numbers $*"; "$BIN/connect-numbers" "$@"; }

# 1. A history with 18 of the 20 allowed actions spent in the last 180 days:
#    the plan is refused by the rolling quota (exit code 3), nothing is released.
"$BIN/python" - "$work/busy-history.jsonl" <<'PY'
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
echo "== 1. With a busy history the plan is refused by the rolling quota"
code=0
cn plan --ledger "$work/busy-history.jsonl" || code=$?
echo "(exit code $code: refused by a rule; nothing was released)"
[ "$code" -eq 3 ]

# 2. A fresh history: plan, save the plan for review, apply exactly it, plan again.
touch "$work/history.jsonl"
echo
echo "== 2. Plan with the account's own (empty) history and save it for review"
cn plan --ledger "$work/history.jsonl" --out "$work/plan.json"
echo
echo "== 3. Apply exactly the reviewed plan; every release is recorded in the ledger first"
cn apply "$work/plan.json" --ledger "$work/history.jsonl"
echo
echo "== 4. Plan again: nothing left to release, and the quota counts the 4 releases"
cn plan --ledger "$work/history.jsonl" --detailed-exitcode
echo
echo "== The ledger holds an intent and a done record per release:"
grep -c '"status": "intent"' "$work/history.jsonl" | sed 's/$/ intent records/'
grep -c '"status": "done"' "$work/history.jsonl" | sed 's/$/ done records (counted against the quota)/'
