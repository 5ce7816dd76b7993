#!/usr/bin/env bash
# Runs every test of biogate on a Debian 12 machine, installing what they
# need first. This is the command the README gives and .ci/run calls.
#
#   bash hack/test.sh            # everything
#   bash hack/test.sh ./capture  # only some packages (go test patterns)
#
# Shared test data and models are read from $BIOGATE_SHARED (default
# ../shared beside the checkout) and $BIOGATE_MODELS (default
# $BIOGATE_SHARED/models). Under CI=true a test whose data is missing fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash hack/install-deps.sh
export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"

pkgs=("$@")
if [ "${#pkgs[@]}" -eq 0 ]; then pkgs=(./...); fi

echo "== gofmt"
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need formatting:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet "${pkgs[@]}"

echo "== PostgreSQL for the tests"
# One throwaway server for the whole run (the tests create a database
# each), stopped on exit; see hack/pg.sh and internal/pgtest.
if [ -z "${BIOGATE_TEST_POSTGRES:-}" ]; then
  pgdir="$(mktemp -d /tmp/biogate-pg-XXXXXX)"
  trap 'bash hack/pg.sh stop "$pgdir"' EXIT
  if BIOGATE_TEST_POSTGRES="$(bash hack/pg.sh start "$pgdir")"; then
    export BIOGATE_TEST_POSTGRES
  elif [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL did not start"; exit 1
  else
    unset BIOGATE_TEST_POSTGRES
    echo "PostgreSQL did not start: its tests will try their own server or skip"
  fi
fi

echo "== go test"
go test -count=1 -timeout 20m "${pkgs[@]}"

echo "== USB fingerprint recordings through biogate finger capture"
bash hack/usb-replay.sh

if [ "${#pkgs[@]}" -eq 1 ] && [ "${pkgs[0]}" = "./..." ]; then
  echo "== the demo, the README's main command (a verification end to end: match, signed, stored)"
  bash hack/demo.sh > /tmp/biogate-demo.txt 2>&1 || { cat /tmp/biogate-demo.txt; exit 1; }
  tail -n 3 /tmp/biogate-demo.txt
fi

if [ "${#pkgs[@]}" -eq 1 ] && [ "${pkgs[0]}" = "./..." ]; then
  echo "== the fleet: three gateways on one PostgreSQL behind HAProxy (hack/fleet.sh, short: about 2 minutes)"
  SHORT=1 bash hack/fleet.sh > /tmp/biogate-fleet.txt 2>&1 || { cat /tmp/biogate-fleet.txt; exit 1; }
  grep -E '^(PASS|FAIL)' /tmp/biogate-fleet.txt
fi

if [ "${#pkgs[@]}" -eq 1 ] && [ "${pkgs[0]}" = "./..." ]; then
  echo "== the soak, short: sessions while faults are injected, then the invariants (hack/soak.sh, about 70 s)"
  # DISK_FULL=0: filling the data volume needs a tmpfs mounted as root,
  # which a CI machine need not allow; the full runs (bash hack/soak.sh)
  # fill it.
  DISK_FULL=0 SHORT=1 bash hack/soak.sh > /tmp/biogate-soak.txt 2>&1 || { cat /tmp/biogate-soak.txt; exit 1; }
  grep -E '^(PASS|FAIL)' /tmp/biogate-soak.txt
fi

echo "== fuzz: the relay frame and JPEG header checks (500,000 inputs, about 10 s)"
# Seeds run in go test above; this explores beyond them for a short time.
# A count, not a duration: with -fuzztime 15s the fuzzer itself sometimes
# fails "context deadline exceeded" when the time runs out mid-input,
# though no input failed.
go test -run '^$' -fuzz '^FuzzParseMessage$' -fuzztime 500000x ./devices/relay

echo "== go test -tags matprofile (every gocv Mat closed)"
# The packages that touch gocv carry a test built only with this tag.
mapfile -t mp < <(grep -rl --include='*_test.go' '^//go:build matprofile' . | xargs -r -n1 dirname | sort -u)
if [ "${#mp[@]}" -gt 0 ]; then
  go test -count=1 -tags matprofile "${mp[@]}"
fi

echo "== benchmarks compile and run once"
go test -run '^$' -bench . -benchtime 1x "${pkgs[@]}" > /tmp/biogate-bench-smoke.txt 2>&1 || { cat /tmp/biogate-bench-smoke.txt; exit 1; }
grep -E '^(ok|FAIL|---)' /tmp/biogate-bench-smoke.txt || true

echo "== Debian packages: build, install, run, upgrade, purge (hack/package-test.sh)"
pt_start=$SECONDS
bash hack/package-test.sh
echo "package-test: $((SECONDS - pt_start)) s"

echo "== Helm chart: render deploy/helm/biogate and decode it into k8s.io/api types (its own module)"
(cd deploy/helm && go test -count=1 ./...)

echo "== web: kiosk page build check, client unit tests, browser tests"
bash hack/web-test.sh
