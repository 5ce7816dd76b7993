"""OpenCV DNN's side of hack/runtime-bench.sh: the same models, input sizes
and counts as runtime_bench.js, on one thread (Debian's python3-opencv, the
OpenCV 4.6 the daemon links). YuNet runs through cv2.FaceDetectorYN, as the
daemon does, on a real 640x480 frame resized to the size.

Usage: /usr/bin/python3 runtime_bench.py FRAME MODEL NxCxHxW [MODEL NxCxHxW]...
"""
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
frame = cv2.imread(sys.argv[1])
args = sys.argv[2:]
for path, size in zip(args[0::2], args[1::2]):
    n, c, h, w = (int(v) for v in size.split("x"))
    if "yunet" in path:
        det = cv2.FaceDetectorYN.create(path, "", (w, h), 0.9, 0.3, 50)
        img = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
        run = lambda: det.detect(img)
    else:
        net = cv2.dnn.readNet(path)
        blob = (np.random.rand(n, c, h, w) * 255).astype(np.float32)

        def run():
            net.setInput(blob)
            net.forward()
    for _ in range(30):
        run()
    t = time.perf_counter()
    for _ in range(300):
        run()
    print(f"opencv-dnn\t{path}\t{size}\t{(time.perf_counter() - t) / 300 * 1000:.2f} ms")
