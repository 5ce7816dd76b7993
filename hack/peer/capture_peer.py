#!/usr/bin/python3
"""Python peer of biogate's per-frame capture path (capture.Loop.score).

It does what capture.Analyzer.Analyze and models.FaceDetector.Detect do, the
way a competent OpenCV user would script it with Debian's python3-opencv
(cv2 4.6) and numpy, so BenchmarkPeerPython in capture/bench_test.go can
compare the Go path with it on the same frames:

  downscale to --max-width (INTER_AREA, as models/yunet_shim.cpp does),
  FaceDetectorYN.setInputSize when the size changes, detect, map the faces
  back to frame pixels, pick the largest face, resample its clamped box to a
  128x128 grey patch (resize INTER_AREA, cvtColor), Laplacian variance,
  inner-face luminance mean/std and under/over-exposed fractions, roll and
  yaw from the landmarks, and a copy of the frame when the face is the
  largest so far.

With --spoof V2.onnx,V1SE.onnx it also does what liveness adds on a frame
the passive check scores (every --spoof-every'th frame with a face, as
liveness.PassiveConfig.EveryN): both MiniFASNet models of
Silent-Face-Anti-Spoofing on the crops as their authors make them
(CropImage: the box scaled 2.7 and 4.0 about its centre, shifted into the
frame, cv2.resize to 80x80 bilinear; their to_tensor: planar BGR floats,
0-255), softmax, averaged. That is the whole loop of
BenchmarkLivenessFrame but for its cheap cues and the challenge's step.

Decoding is excluded: the frames are read and resized (INTER_LINEAR) before
the clock starts. OpenCV runs on one thread (cv2.setNumThreads(1)).

  /usr/bin/python3 hack/peer/capture_peer.py --model M.onnx --video V.mp4 \
      --frames 60 --size 640x480 --iters 400

--iters is the number of timed frames, cycling through the prepared ones
(like b.N in the Go benchmark); with --seconds S, timing goes on past
--iters until S seconds of frames were timed. Prints one JSON line:
{"ms_per_frame": mean, "p50": median, "frames": timed frames, ...}, with
the process's CPU time and minor page faults per frame over the timed loop
(wall time on a loaded machine includes waiting for the core).
Exit status 2 on bad arguments or unreadable input.
"""

import argparse
import json
import math
import resource
import statistics
import sys
import time

import cv2
import numpy as np

PATCH = 128  # capture.PatchSize
SPOOF_SIDE = 80  # MiniFASNet's input
SPOOF_SCALES = (2.7, 4.0)  # MiniFASNetV2, MiniFASNetV1SE


def parse_size(s):
    try:
        w, h = (int(v) for v in s.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("size must be WxH, e.g. 640x480")
    if w < 64 or h < 64:
        raise argparse.ArgumentTypeError("size must be at least 64x64")
    return w, h


def read_frames(path, n, size):
    cap = cv2.VideoCapture(path)
    frames = []
    while len(frames) < n:
        ok, img = cap.read()
        if not ok:
            break
        if (img.shape[1], img.shape[0]) != size:
            img = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
        frames.append(np.ascontiguousarray(img))
    cap.release()
    return frames


def new_box(src_w, src_h, box, scale):
    """Silent-Face-Anti-Spoofing's CropImage._get_new_box."""
    x, y, box_w, box_h = box
    scale = min((src_h - 1) / box_h, min((src_w - 1) / box_w, scale))
    new_w, new_h = box_w * scale, box_h * scale
    cx, cy = box_w / 2 + x, box_h / 2 + y
    x0, y0, x1, y1 = cx - new_w / 2, cy - new_h / 2, cx + new_w / 2, cy + new_h / 2
    if x0 < 0:
        x1 -= x0
        x0 = 0
    if y0 < 0:
        y1 -= y0
        y0 = 0
    if x1 > src_w - 1:
        x0 -= x1 - src_w + 1
        x1 = src_w - 1
    if y1 > src_h - 1:
        y0 -= y1 - src_h + 1
        y1 = src_h - 1
    return int(x0), int(y0), int(x1), int(y1)


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


class Peer:
    """Per-frame state: the detector, its input size and the best frame,
    and the anti-spoofing models when given."""

    def __init__(self, model, score_threshold, nms_threshold, top_k, max_width, spoof=(), spoof_every=1):
        self.det = cv2.FaceDetectorYN_create(model, "", (320, 240), score_threshold, nms_threshold, top_k)
        self.input = (320, 240)
        self.max_width = max_width
        self.best = None
        self.best_area = 0.0
        self.spoof = [cv2.dnn.readNetFromONNX(p) for p in spoof]
        self.spoof_every = spoof_every
        self.faces_seen = 0

    def live(self, frame, box):
        """MiniFASNet's averaged softmax of the real class, as test.py."""
        h, w = frame.shape[:2]
        total = np.zeros(3)
        for net, scale in zip(self.spoof, SPOOF_SCALES):
            x0, y0, x1, y1 = new_box(w, h, box, scale)
            crop = cv2.resize(frame[y0:y1 + 1, x0:x1 + 1], (SPOOF_SIDE, SPOOF_SIDE))
            net.setInput(cv2.dnn.blobFromImage(crop, 1.0))
            total += softmax(net.forward()[0].astype(np.float64))
        return total[1] / len(self.spoof)

    def score(self, frame):
        h, w = frame.shape[:2]
        dw, dh = w, h
        img = frame
        if w > self.max_width:
            dw, dh = self.max_width, int(round(h * self.max_width / w))
            img = cv2.resize(frame, (dw, dh), interpolation=cv2.INTER_AREA)
        if self.input != (dw, dh):
            self.det.setInputSize((dw, dh))
            self.input = (dw, dh)
        _, faces = self.det.detect(img)
        if faces is None or len(faces) == 0:
            return None
        faces[:, 0:14:2] *= w / dw
        faces[:, 1:14:2] *= h / dh
        f = faces[np.argmax(faces[:, 2] * faces[:, 3])]

        # 128x128 grey patch of the face box, clamped to the frame.
        x, y, bw, bh = f[0], f[1], f[2], f[3]
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(w, math.ceil(x + bw)), min(h, math.ceil(y + bh))
        q = {}
        if x1 - x0 >= 8 and y1 - y0 >= 8:
            small = cv2.resize(frame[y0:y1, x0:x1], (PATCH, PATCH), interpolation=cv2.INTER_AREA)
            grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
            q["sharpness"] = cv2.Laplacian(grey, cv2.CV_64F).var()
            lo, hi = PATCH // 5, PATCH - PATCH // 5
            inner = grey[lo:hi, lo:hi]
            q["lum_mean"] = inner.mean()
            q["lum_std"] = inner.std()
            q["under"] = np.count_nonzero(inner <= 25) / inner.size
            q["over"] = np.count_nonzero(inner >= 235) / inner.size

        # Roll from the eye and mouth lines, yaw from the nose's offset.
        rex, rey, lex, ley, nx, ny, rmx, rmy, lmx, lmy = (float(v) for v in f[4:14])
        dx, dy = lex - rex, ley - rey
        ied = math.hypot(dx, dy)
        if ied >= 1:
            mdx, mdy = lmx - rmx, lmy - rmy
            md = max(1.0, math.hypot(mdx, mdy))
            q["roll"] = math.degrees(math.atan2(dy / ied + mdy / md, dx / ied + mdx / md))
            c, s = dx / ied, dy / ied
            nu = (nx - (rex + lex) / 2) * c + (ny - (rey + ley) / 2) * s
            q["yaw"] = math.degrees(math.atan(nu / ied / 0.55))

        if self.spoof:
            if self.faces_seen % self.spoof_every == 0:
                q["live"] = self.live(frame, (float(x), float(y), float(bw), float(bh)))
            self.faces_seen += 1

        area = float(bw * bh)
        if area > self.best_area:
            self.best = frame.copy()
            self.best_area = area
        return q


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="YuNet ONNX file")
    ap.add_argument("--video", required=True, help="clip to read frames from")
    ap.add_argument("--frames", type=int, default=60, help="frames to prepare (default 60)")
    ap.add_argument("--size", type=parse_size, default=(640, 480), help="frame size WxH (default 640x480)")
    ap.add_argument("--iters", type=int, default=300, help="timed frames, cycling (default 300)")
    # Defaults of models.DetectorConfig; the Go benchmark passes its own.
    ap.add_argument("--score-threshold", type=float, default=0.9, help="YuNet score threshold (default 0.9)")
    ap.add_argument("--nms-threshold", type=float, default=0.3, help="YuNet NMS threshold (default 0.3)")
    ap.add_argument("--top-k", type=int, default=50, help="YuNet top K (default 50)")
    ap.add_argument("--max-width", type=int, default=320, help="detector input width (default 320)")
    ap.add_argument("--seconds", type=float, default=0, help="time frames for at least this long (default 0)")
    ap.add_argument("--spoof", default="", help="MiniFASNetV2 and MiniFASNetV1SE ONNX files, comma separated: run them too")
    ap.add_argument("--spoof-every", type=int, default=1, help="run them on every N-th frame with a face (default 1)")
    args = ap.parse_args()
    if args.frames < 1 or args.iters < 1 or args.top_k < 1 or args.max_width < 64 or args.spoof_every < 1:
        ap.error("--frames, --iters, --top-k and --spoof-every must be at least 1, --max-width at least 64")
    spoof = [p for p in args.spoof.split(",") if p]
    if spoof and len(spoof) != 2:
        ap.error("--spoof takes two files: MiniFASNetV2, then MiniFASNetV1SE")

    cv2.setNumThreads(1)
    frames = read_frames(args.video, args.frames, args.size)
    if len(frames) < args.frames:
        print(f"capture_peer: {args.video}: read {len(frames)} frames, want {args.frames}", file=sys.stderr)
        sys.exit(2)
    peer = Peer(args.model, args.score_threshold, args.nms_threshold, args.top_k, args.max_width, spoof, args.spoof_every)
    peer.score(frames[0])  # warm-up: first setInputSize and allocations
    peer.faces_seen = 0

    times = []
    with_face, scored = 0, 0
    clock = time.perf_counter
    total, i = 0.0, 0
    ru0, cpu0 = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
    while i < args.iters or total < args.seconds:
        t0 = clock()
        q = peer.score(frames[i % len(frames)])
        dt = clock() - t0
        times.append(dt)
        total += dt
        with_face += q is not None
        scored += q is not None and "live" in q
        i += 1
    cpu, ru = time.process_time() - cpu0, resource.getrusage(resource.RUSAGE_SELF)
    ms = [t * 1e3 for t in times]
    print(json.dumps({
        "ms_per_frame": round(sum(ms) / len(ms), 4),
        "p50": round(statistics.median(ms), 4),
        "frames": len(ms),
        "cpu_ms_per_frame": round(cpu * 1e3 / len(ms), 4),
        "faults_per_frame": round((ru.ru_minflt - ru0.ru_minflt) / len(ms), 2),
        "frames_with_face": with_face,
        "frames_spoof_scored": scored,
        "size": f"{args.size[0]}x{args.size[1]}",
        "opencv": cv2.__version__,
        "threads": cv2.getNumThreads(),
    }))


if __name__ == "__main__":
    main()
