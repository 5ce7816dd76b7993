#!/usr/bin/env bash
# Long fuzzing, outside CI: runs every fuzz target of the module, one after
# the other, for FUZZTIME each, and keeps what it learns.
#
#   bash hack/fuzz.sh                 # every target, 10 minutes each
#   FUZZTIME=30s bash hack/fuzz.sh    # a quick pass
#   bash hack/fuzz.sh FuzzParseMessage FuzzDecodeClient   # only these
#
# The corpus: Go keeps the inputs that found new coverage in its fuzz
# cache ($(go env GOCACHE)/fuzz/<package>/<target>), which the next run
# starts from; this script also copies it to out/fuzz/corpus/ so it can be
# kept elsewhere (CORPUS_BACKUP=0 skips that). A crash stops the target:
# Go writes the failing input to the package's testdata/fuzz/<target>/,
# where `go test` (and so CI) runs it as a regression test from then on;
# fix the bug, commit the file. The report, one line a target, is
# out/fuzz/report.txt; the exit status is 1 if any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
FUZZTIME="${FUZZTIME:-10m}"
out=out/fuzz
mkdir -p "$out/logs"
report="$out/report.txt"
: > "$report"

# Every "func FuzzX(" in a _test.go file, as "package-dir target".
targets() {
  grep -rl --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(f \*testing.F)' . |
    while read -r file; do
      grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed "s#^func ##; s#^#$(dirname "$file") #"
    done | sort -u
}

cache="$(go env GOCACHE)/fuzz/github.com/biogate/biogate"
failed=0
while read -r dir name; do
  if [ "$#" -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  log="$out/logs/$name.log"
  echo "fuzz: $dir $name for $FUZZTIME"
  start=$(date +%s)
  if go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$dir" > "$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
  fi
  secs=$(( $(date +%s) - start ))
  # The last progress line: elapsed, executions, new interesting inputs.
  last=$(grep -o 'fuzz: elapsed: .*' "$log" | tail -1)
  corpus=$(find "$cache/${dir#./}/$name" -type f 2>/dev/null | wc -l)
  line="$status $dir $name ${secs}s; $last; corpus $corpus inputs"
  echo "$line" | tee -a "$report"
  if [ "$status" = FAILED ]; then
    grep -E -A3 'Failing input written to|--- FAIL' "$log" | head -20
  fi
  if [ "${CORPUS_BACKUP:-1}" != 0 ] && [ -d "$cache/${dir#./}/$name" ]; then
    mkdir -p "$out/corpus/${dir#./}"
    cp -r "$cache/${dir#./}/$name" "$out/corpus/${dir#./}/"
  fi
done < <(targets)
echo "fuzz: report in $report"
exit "$failed"
