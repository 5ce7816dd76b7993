#!/usr/bin/env bash
# The kiosk page's tests: installs the npm dependencies from the lock file,
# checks that the committed build (what biogated embeds) equals a fresh tsc
# build, runs the protocol client's unit tests, then the browser tests:
# Debian's chromium, with the sample clips as its camera, against biogated
# and the IDEC emulator that the tests build and start on loopback.
#
#   bash hack/web-test.sh
#
# Screenshots of every step: out/e2e-screenshots/. Under CI=true a missing
# node, npm, chromium or sample clip fails the run; elsewhere it skips.
set -euo pipefail
cd "$(dirname "$0")/.."

bash hack/install-deps.sh
export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "web-test: $1 (CI=true: this is a failure)" >&2
    exit 1
  fi
  echo "web-test: $1: skipped"
  exit 0
}
command -v node >/dev/null || missing "node is not installed"
command -v npm >/dev/null || missing "npm is not installed"
[ -x /usr/bin/chromium ] || missing "/usr/bin/chromium is not installed (apt-get install chromium)"

cd web
echo "== npm ci (web/)"
npm ci --no-audit --no-fund --ignore-scripts
echo "== the committed build equals a fresh build"
npm run --silent check-build
echo "== protocol client unit tests"
npm test --silent
echo "== browser tests (chromium)"
npm run --silent e2e
