#!/usr/bin/env bash
# Installs, from Debian 12's packages, everything biogate needs to build, run
# and test. Idempotent: packages already present are left alone, and the
# package lists are refreshed at most once per run (only when something is
# missing).
set -euo pipefail

PKGS=(
  # build
  pkg-config g++ libopencv-dev
  # models and cascades (Haar/LBP eye and smile cascades)
  opencv-data
  # cameras: GStreamer pipelines and V4L2
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-tools
  # USB fingerprint readers and their replayed recordings
  libusb-1.0-0-dev umockdev
  # the python peer in the capture benchmark (Debian's python3-opencv)
  python3-opencv python3-numpy
  # the evidence store's PostgreSQL tests (a throwaway server per run)
  postgresql
  # the document signing key on a PKCS#11 token: SoftHSM2 tokens made in a
  # temporary folder by gateway/document/token's tests and biogated's
  softhsm2
  # ... and on a software TPM 2.0 (a kiosk's TPM): swtpm, the tpm2-abrmd
  # resource manager on a private D-Bus, tpm2-pkcs11 and its TCTIs
  swtpm tpm2-abrmd dbus-daemon dbus-bin libtpm2-pkcs11-1 libtss2-tcti-swtpm0 libtss2-tcti-tabrmd0
  # the kiosk page's browser tests (hack/web-test.sh): Debian's browser and
  # a font with Kazakh and Russian letters for legible screenshots. Node.js
  # and npm come with the machine (Node 20; Debian 12's own is too old).
  chromium fonts-dejavu-core
  # the Debian packages (hack/package.sh: dpkg-shlibdeps; hack/package-test.sh:
  # adduser, systemd-analyze)
  dpkg-dev adduser systemd
  # the fleet test (hack/fleet.sh): three gateways behind a load balancer
  haproxy
  # promtool: the alert rules' checks and unit tests (deploy/monitoring)
  prometheus
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests want only the programs of prometheus (promtool), haproxy (run
# by hack/fleet.sh) and tpm2-abrmd (run by the TPM tests on their own
# swtpm): on a machine that runs systemd, the services of those
# being installed now are masked first, so the install starts no server.
if [ -d /run/systemd/system ]; then
  for unit in prometheus haproxy tpm2-abrmd; do
    if [[ " ${missing[*]} " == *" $unit "* ]] && [ ! -e "/etc/systemd/system/$unit.service" ]; then
      $SUDO ln -s /dev/null "/etc/systemd/system/$unit.service"
    fi
  done
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
