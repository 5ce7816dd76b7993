#!/usr/bin/env bash
# Replays every USB fingerprint recording in $BIOGATE_SHARED/data/usb through
# umockdev-run with `biogate finger capture`, and checks that the PNG it
# writes equals the image libfprint captured (capture.png), pixel for pixel on
# the green channel as libfprint's own tests compare.
#
#   bash hack/usb-replay.sh          # all recordings
#   bash hack/usb-replay.sh nb1010   # some
#
# A recording of a reader biogate has no driver for (aes3500) is listed as
# skipped. Under CI=true a missing umockdev-run or recording folder fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
shared="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
data="$shared/data/usb"

missing() {
  if [ "${CI:-}" = "true" ]; then echo "usb-replay: $1" >&2; exit 1; fi
  echo "usb-replay: $1; skipping" >&2; exit 0
}
command -v umockdev-run >/dev/null || missing "umockdev-run not found (hack/install-deps.sh installs umockdev)"
[ -d "$data" ] || missing "no recordings in $data (set BIOGATE_SHARED)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/biogate" ./cmd/biogate

# A stdlib-only comparison, so the script needs nothing beyond Go.
cat > "$work/pngcmp.go" <<'GO'
package main

import (
	"fmt"
	"image"
	_ "image/png"
	"os"
)

func load(p string) image.Image {
	f, err := os.Open(p)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		fmt.Println(p, err)
		os.Exit(2)
	}
	return img
}

func main() {
	got, want := load(os.Args[1]), load(os.Args[2])
	if got.Bounds() != want.Bounds() {
		fmt.Printf("size %v, libfprint's %v\n", got.Bounds(), want.Bounds())
		os.Exit(1)
	}
	diff := 0
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, g1, _, _ := got.At(x, y).RGBA()
			_, g2, _, _ := want.At(x, y).RGBA()
			if g1>>8 != g2>>8 {
				diff++
			}
		}
	}
	if diff > 0 {
		fmt.Printf("%d of %d pixels differ\n", diff, b.Dx()*b.Dy())
		os.Exit(1)
	}
	fmt.Printf("identical %dx%d\n", b.Dx(), b.Dy())
}
GO
(cd "$work" && go build -o pngcmp pngcmp.go)

names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  for d in "$data"/*/; do names+=("$(basename "$d")"); done
fi

fail=0
for name in "${names[@]}"; do
  dir="$data/$name"
  [ -f "$dir/device" ] || { echo "$name: no device description"; fail=1; continue; }
  ids="$(sed -n 's/^E: PRODUCT=\([0-9a-f]*\)\/\([0-9a-f]*\)\/.*/\1 \2/p' "$dir/device" | head -1)"
  read -r vid pid <<<"$ids"
  spec="$(printf 'usb:%04x:%04x' "0x$vid" "0x$pid")"
  sys="/sys$(sed -n '1s/^P: //p' "$dir/device")"
  if [ -f "$dir/capture.pcapng" ]; then
    rec=(-p "$sys=$dir/capture.pcapng")
  else
    node="$(sed -n '1s/^@DEV //p' "$dir/capture.ioctl")"
    rec=(-i "$node=$dir/capture.ioctl")
  fi
  out="$work/$name.png"
  set +e
  FP_DEVICE_EMULATION=1 timeout 60 umockdev-run -d "$dir/device" "${rec[@]}" -- \
    "$work/biogate" finger capture --device "$spec" --out "$out" --timeout 30s --json \
    >"$work/$name.json" 2>"$work/$name.err"
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    if grep -q "no supported fingerprint reader matches" "$work/$name.err"; then
      echo "$name ($spec): skipped, no driver in biogate"
      continue
    fi
    echo "$name ($spec): capture failed (exit $rc):"; grep -v 'handle_events: error' "$work/$name.err" | tail -5
    fail=1
    continue
  fi
  if result="$("$work/pngcmp" "$out" "$dir/capture.png")"; then
    echo "$name ($spec): $result"
  else
    echo "$name ($spec): DIFFERS from libfprint: $result"
    fail=1
  fi
done
exit "$fail"
