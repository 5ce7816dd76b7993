#!/usr/bin/env bash
# Builds biogate's Debian packages:
#
#   bash hack/package.sh [OUTDIR]      # default dist/ (gitignored)
#
#   biogate_VERSION_ARCH.deb                 biogated and biogate, the hardened
#                                            unit, the udev rule for the USB
#                                            fingerprint readers, /etc/biogate
#   biogate-idec-emulator_VERSION_ARCH.deb   the IDEC emulator: testing only
#
# VERSION is $BIOGATE_VERSION, else 0.1.0+gitN.HASH (N: commits on HEAD,
# so later commits sort higher). The runtime Depends (OpenCV, libusb, libc)
# come from dpkg-shlibdeps on the built binaries. nfpm runs from its own Go
# module (deploy/tools), so the main go.mod does not carry its dependencies.
# No models are packaged (see deploy/debian/README.Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

out="${1:-dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ -n "${BIOGATE_VERSION:-}" ]; then
  version="$BIOGATE_VERSION"
else
  version="0.1.0+git$(git rev-list --count HEAD).$(git rev-parse --short=12 HEAD)"
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then version="$version.dirty"; fi
fi
arch="$(dpkg --print-architecture)"

work="$(mktemp -d /tmp/biogate-package-XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "package: building binaries ($version, $arch)"
go build -trimpath -ldflags="-s -w" -o "$work/bin/" ./cmd/biogate ./cmd/biogated ./cmd/idec-emulator
(cd deploy/tools && go build -o "$work/nfpm" github.com/goreleaser/nfpm/v2/cmd/nfpm)

# Depends: the shared libraries the binaries link to (OpenCV 4.6, libusb,
# libstdc++, libc), as Debian packages with their minimum versions.
shlibdeps() {
  mkdir -p "$work/shlibs/debian"
  printf 'Source: biogate\n\nPackage: biogate\nArchitecture: any\n' > "$work/shlibs/debian/control"
  (cd "$work/shlibs" && dpkg-shlibdeps -O "$@" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}
deps_main="$(shlibdeps -e"$work/bin/biogated" -e"$work/bin/biogate")"
deps_emu="$(shlibdeps -e"$work/bin/idec-emulator")"
if [ -z "$deps_main" ] || [ -z "$deps_emu" ]; then
  echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1
fi
yaml_list() { # "a (>= 1), b" -> YAML list lines
  tr ',' '\n' <<<"$1" | sed 's/^ *//; s/ *$//; /^$/d; s/.*/  - "&"/'
}

cp devices/usbfp/LICENSE "$work/LICENSE.usbfp"

cat > "$work/biogate.yaml" <<EOF
name: biogate
arch: $arch
platform: linux
version: "$version"
version_schema: none
section: net
priority: optional
maintainer: "biogate developers <biogate@localhost>"
homepage: https://github.com/biogate/biogate
license: Proprietary; devices/usbfp LGPL-2.1-or-later (ported from libfprint)
description: |-
  biometric verification gateway (daemon and CLI)
  biogated serves face verification sessions over WebSocket for kiosks,
  field laptops and mobile apps through the relay: capture, quality,
  liveness, IDEC, signed result documents and a tamper-evident evidence
  store. biogate is its command-line tool. Models are not included: see
  /usr/share/doc/biogate/README.Debian.
depends:
$(yaml_list "$deps_main")
  - adduser
recommends:
  - udev
contents:
  - src: $work/bin/biogated
    dst: /usr/bin/biogated
    file_info: {mode: 0755}
  - src: $work/bin/biogate
    dst: /usr/bin/biogate
    file_info: {mode: 0755}
  - src: deploy/debian/biogated.service
    dst: /usr/lib/systemd/system/biogated.service
    file_info: {mode: 0644}
  - src: deploy/debian/60-biogate-fingerprint.rules
    dst: /usr/lib/udev/rules.d/60-biogate-fingerprint.rules
    file_info: {mode: 0644}
  - src: deploy/debian/sysusers.conf
    dst: /usr/lib/sysusers.d/biogate.conf
    file_info: {mode: 0644}
  - src: deploy/debian/biogated.yaml
    dst: /etc/biogate/biogated.yaml
    type: config|noreplace
    file_info: {mode: 0640}
  - src: deploy/debian/environment
    dst: /etc/biogate/environment
    type: config|noreplace
    file_info: {mode: 0640}
  - dst: /etc/biogate
    type: dir
    file_info: {mode: 0750}
  - src: deploy/debian/README.Debian
    dst: /usr/share/doc/biogate/README.Debian
    file_info: {mode: 0644}
  - src: $work/LICENSE.usbfp
    dst: /usr/share/doc/biogate/LICENSE.usbfp
    file_info: {mode: 0644}
scripts:
  postinstall: deploy/debian/scripts/postinst
  preremove: deploy/debian/scripts/prerm
  postremove: deploy/debian/scripts/postrm
EOF

cat > "$work/biogate-idec-emulator.yaml" <<EOF
name: biogate-idec-emulator
arch: $arch
platform: linux
version: "$version"
version_schema: none
section: devel
priority: optional
maintainer: "biogate developers <biogate@localhost>"
homepage: https://github.com/biogate/biogate
license: Proprietary
description: |-
  IDEC emulator for testing biogate (FOR TESTING ONLY, never in production)
  idec-emulator stands in for KCMR's identity data exchange centre (IDEC)
  in tests and demos: it makes development certificates, enrols photos and
  answers biogated over mutual TLS with a face matcher (MobileFaceNet, not
  included). It must never be installed on a production gateway.
depends:
$(yaml_list "$deps_emu")
contents:
  - src: $work/bin/idec-emulator
    dst: /usr/bin/idec-emulator
    file_info: {mode: 0755}
EOF

for p in biogate biogate-idec-emulator; do
  rm -f "$out/${p}_${version}_${arch}.deb"
  "$work/nfpm" package --config "$work/$p.yaml" --packager deb --target "$out/${p}_${version}_${arch}.deb" > /dev/null
  echo "package: $out/${p}_${version}_${arch}.deb"
done
