# Helpers for the scripts that start biogated and the IDEC emulator on
# loopback (hack/demo.sh, hack/attack-eval.sh, hack/load.sh, hack/fleet.sh):
# sourced, not run. The sourcing script sets $out (its logs are
# $out/NAME.log) and defines log.
#
#   free_port                  a TCP port free on loopback now
#   wait_port PORT NAME PID    until PORT accepts connections, or PID dies
#   wait_ready URL NAME PID    until URL answers 200 (any certificate), or PID dies
#   pids+=($!)                 processes stopped (TERM, then waited for) on exit
#   idec_serve BIN             the IDEC emulator on $idec_port (see below)
#   api_key NAME               a fresh API key in $KEY and $out/api-keys

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# died NAME PID: fails the script with NAME's log if PID has exited.
died() {
  if ! kill -0 "$2" 2>/dev/null; then log "$1 exited; its log:"; cat "$out/$1.log" >&2; exit 1; fi
}

wait_port() {
  for _ in $(seq 1 300); do
    died "$2" "$3"
    if /usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  log "$2 did not start; its log:"; cat "$out/$2.log" >&2; exit 1
}

wait_ready() {
  for _ in $(seq 1 300); do
    died "$2" "$3"
    if /usr/bin/python3 - "$1" <<'PY' 2>/dev/null; then return 0; fi
import ssl, sys, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
urllib.request.urlopen(sys.argv[1], timeout=1, context=ctx)
PY
    sleep 0.2
  done
  log "$2 did not become ready; its log:"; cat "$out/$2.log" >&2; exit 1
}

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# idec_serve BIN: the IDEC emulator's test PKI in $out/pki, and the
# emulator serving the gallery $out/gallery (enrol into it first) on a free
# loopback port, $idec_port; stopped on exit.
idec_serve() {
  "$1/idec-emulator" certs --out "$out/pki" > /dev/null
  idec_port=$(free_port)
  "$1/idec-emulator" serve --listen "127.0.0.1:$idec_port" --gallery "$out/gallery" --tls "$out/pki" > "$out/idec-emulator.log" 2>&1 &
  pids+=($!)
  wait_port "$idec_port" idec-emulator "$!"
}

# api_key NAME: a fresh relay API key NAME-<random> in $KEY, written to
# $out/api-keys (0600) for --api-keys.
api_key() {
  KEY="$1-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  echo "$KEY relay" > "$out/api-keys"
  chmod 600 "$out/api-keys"
}
