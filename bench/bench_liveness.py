"""One liveness step's decision: a burst of 640x480 JPEG frames in, a decision out (proctoring.liveness).

    .venv/bin/python bench/bench_liveness.py              # 8 frames a step, every corpus identity, 3 rounds
    .venv/bin/python bench/bench_liveness.py --frames 16

Bursts are made from one original photo per identity of the face corpus
(tests/proctoring/faces): fitted into 640x480 and moved a little from frame to
frame (a photo held in a hand), JPEG q80. Per step, in one process:

- liveness: decode + ``liveness.observe`` (detection, 68 landmarks, descriptor)
  for every frame, then ``liveness.decide_step`` with the enrolled reference;
- baseline: ``vision.check_frame`` on every frame (what the same frames cost as
  snapshots: decode, detection, descriptor, distance);
- floor: decoding alone.

Prints p50/p95/mean milliseconds a step and the ratio to the baseline.
Target: a step of 8 frames well under a second on one core.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from proctoring import liveness, vision  # noqa: E402
from tests.support.liveness_frames import camera_frame, jpeg, moved  # noqa: E402

CORPUS = ROOT / "tests" / "proctoring" / "faces"


def bursts(frames: int) -> list[tuple[list[bytes], np.ndarray]]:
    rng = np.random.default_rng(16)
    seen: set[str] = set()
    out = []
    with (CORPUS / "labels.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["kind"] not in ("original", "glasses") or row["identity"] in seen:
                continue
            seen.add(row["identity"])
            frame = camera_frame(cv2.imread(str(CORPUS / row["file"])))
            images = [moved(frame, dx=rng.uniform(-6, 6), dy=rng.uniform(-6, 6), zoom=rng.uniform(0.95, 1.05))]
            images += [moved(images[0], angle=rng.uniform(-3, 3)) for _ in range(frames - 1)]
            try:
                reference = vision.encode_reference(jpeg(frame))
            except vision.VisionError:
                continue
            out.append(([jpeg(image, 80) for image in images], reference))
    return out


def _stats(name: str, times: list[float], baseline: list[float] | None = None) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    ratio = f"  {statistics.mean(times) / statistics.mean(baseline):.2f}x baseline" if baseline else ""
    print(
        f"{name:9s} p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  mean {statistics.mean(ms):7.1f} ms{ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=liveness.FRAMES_PER_STEP)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    vision.warm_up()
    data = bursts(args.frames)
    # The 68-point predictor loads on first use: not part of a step.
    liveness.observe(vision.decode_image(data[0][0][0]))
    steps: list[float] = []
    checks: list[float] = []
    floor: list[float] = []
    passed = 0
    for _ in range(args.rounds):
        for frames, reference in data:
            started = time.perf_counter()
            observed = [liveness.observe(vision.decode_image(frame)) for frame in frames]
            decision = liveness.decide_step(liveness.Challenge.BLINK, observed, reference=reference)
            steps.append(time.perf_counter() - started)
            passed += decision.passed
            started = time.perf_counter()
            for frame in frames:
                vision.check_frame(frame, reference)
            checks.append(time.perf_counter() - started)
            started = time.perf_counter()
            for frame in frames:
                vision.decode_image(frame)
            floor.append(time.perf_counter() - started)
    print(f"{len(data)} bursts of {args.frames} frames (640x480 JPEG q80), {args.rounds} rounds, one process")
    _stats("liveness", steps, checks)
    _stats("baseline", checks)
    _stats("floor", floor, checks)
    print(f"still photos passed: {passed} of {len(steps)} (must be 0)")


if __name__ == "__main__":
    main()
