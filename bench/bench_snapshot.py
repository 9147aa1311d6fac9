"""Snapshot matching: the production path of proctoring.vision against the naive baseline.

    .venv/bin/python bench/bench_snapshot.py            # 320 frames, 2 workers
    .venv/bin/python bench/bench_snapshot.py --frames 600 --detect-width 400

Corpus: 640x480 JPEG q80 frames made from the faces that ship with
scikit-image (the astronaut) and matplotlib (Grace Hopper), shifted, scaled,
brightened/darkened, mirrored and blended onto assorted backgrounds: 80 % one
face (compared half with their own reference, half with the other person's),
10 % no face, 10 % two faces. Face boxes are 110-230 px (one face) and
100-150 px (two faces), the range of a person in front of their own webcam.

And the face corpus of ``tests/proctoring/faces`` (real photos of 20+ people
and their edits, ``bench/make_face_corpus.py``): every image but each
identity's reference photo, scaled to at most 640 px wide (what the page
sends) as JPEG q80, compared alternately with its own identity's reference
(the identity's first original) and with another identity's. Its expected
decision is the identity; the ground truth counts only there, agreement
with the baseline is what the target is about. ``--no-faces`` leaves it out.

Three paths in the same run:
- baseline: face_recognition.load_image_file + face_encodings (full frame,
  HOG with one upsample) + compare_faces;
- production: proctoring.vision.check_frame (480 px, and one retry at
  SNAPSHOT_RETRY_WIDTH when no face is found);
- floor: cv2.imdecode alone.
The retry's cost: production is also timed without the retry on the same
frames (single process), and the difference is reported.

Reports single-process p50/p95/mean latency, 2-process frames/s, the ratios and
the decision agreement with the baseline (and with the ground truth).
Targets: production >= 3x faster than the baseline per frame, >= 99 %
agreement, >= 20 frames/s on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import face_recognition  # noqa: E402
import matplotlib.cbook  # noqa: E402
import numpy as np  # noqa: E402
from skimage import data as skdata  # noqa: E402

from proctoring import vision  # noqa: E402

WIDTH, HEIGHT = 640, 480
TOLERANCE = vision.DEFAULT_TOLERANCE


@dataclass(frozen=True)
class Frame:
    jpeg: bytes
    kind: str  # one | none | two | corpus
    person: str | None  # whose face, for "one" and "corpus"
    reference: str  # whose reference the frame is compared with
    face_px: int  # face box size in the frame (largest face), 0 for none or unknown
    name: str = ""

    @property
    def expected(self) -> str:
        if self.kind == "none":
            return "no_face"
        if self.kind == "two":
            return "multiple_faces"
        return "match" if self.reference in (self.person, f"faces:{self.person}") else "mismatch"


FACES = ROOT / "tests" / "proctoring" / "faces"


def _face_corpus() -> tuple[list[Frame], dict[str, bytes]]:
    """Frames from tests/proctoring/faces, and each identity's reference photo: its first original that the
    product accepts as one (``vision.encode_reference``; as at enrolment, a refused photo — turned away,
    blurred — is retaken, here the next original). An identity with none is left out, frames and all."""
    sys.path.insert(0, str(ROOT / "bench"))
    import make_face_corpus

    items = list(make_face_corpus.load(FACES))
    references: dict[str, bytes] = {}
    for item in items:
        if item.is_original and item.identity not in references:
            try:
                vision.encode_reference(item.data)
            except vision.ReferenceRejected as refused:
                print(f"reference photo {item.file} refused ({refused.reason}): the next original is tried")
                continue
            references[item.identity] = item.data
    identities = sorted(references)
    frames: list[Frame] = []
    for item in items:
        if item.identity not in references or (item.is_original and references[item.identity] is item.data):
            continue
        image = cv2.imdecode(np.frombuffer(item.data, np.uint8), cv2.IMREAD_COLOR)
        if image.shape[1] > WIDTH:
            image = cv2.resize(
                image, (WIDTH, round(image.shape[0] * WIDTH / image.shape[1])), interpolation=cv2.INTER_AREA
            )
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert ok
        other = identities[
            (identities.index(item.identity) + 1 + len(frames) % (len(identities) - 1)) % len(identities)
        ]
        reference = item.identity if len(frames) % 2 == 0 else other
        frames.append(Frame(jpeg.tobytes(), "corpus", item.identity, f"faces:{reference}", 0, item.file))
    return frames, {f"faces:{name}": data for name, data in references.items()}


# ------------------------------------------------------------------ corpus


def _sources() -> dict[str, tuple[np.ndarray, tuple[int, int, int]]]:
    """Each person's photo (BGR) and face box (centre x, centre y, size) found by dlib."""
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        hopper = cv2.imdecode(np.frombuffer(handle.read(), np.uint8), cv2.IMREAD_COLOR)
    astronaut = np.ascontiguousarray(skdata.astronaut()[:, :, ::-1])
    out = {}
    for name, image in (("astronaut", astronaut), ("hopper", hopper)):
        (box,) = vision._get_models().detector(image, 0)
        out[name] = (image, ((box.left() + box.right()) // 2, (box.top() + box.bottom()) // 2, box.width()))
    return out


def _backgrounds(rng: np.random.Generator) -> list[np.ndarray]:
    scenes = [skdata.coffee(), skdata.rocket(), skdata.chelsea(), skdata.hubble_deep_field()]
    backgrounds = [cv2.resize(np.ascontiguousarray(s[:, :, ::-1]), (WIDTH, HEIGHT)) for s in scenes]
    for _ in range(6):
        # Smooth colour gradients with sensor-like noise: a wall, a room.
        ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        base = rng.uniform(40, 200, 3)
        slope = rng.uniform(-0.15, 0.15, (2, 3))
        image = base + xs[..., None] * slope[0] + ys[..., None] * slope[1]
        image += rng.normal(0, 6, image.shape)
        backgrounds.append(np.clip(image, 0, 255).astype(np.uint8))
    return backgrounds


def _paste(frame: np.ndarray, source, face_px: int, cx: int, cy: int, rng: np.random.Generator) -> None:
    """Blend a head-and-shoulders crop of ``source`` so that its face box is ``face_px`` centred at (cx, cy)."""
    image, (fx, fy, fsize) = source
    scale = face_px / fsize
    half = int(fsize * 1.1)
    crop = image[max(0, fy - half) : fy + int(half * 1.4), max(0, fx - half) : fx + half]
    ox, oy = fx - max(0, fx - half), fy - max(0, fy - half)  # face centre inside the crop
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
        ox = crop.shape[1] / scale - ox
    alpha, beta = rng.uniform(0.65, 1.35), rng.uniform(-25, 25)
    crop = np.clip(crop.astype(np.float32) * alpha + beta, 0, 255)
    h, w = crop.shape[:2]
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.48), int(h * 0.49)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, w / 30))[..., None]
    left, top = int(cx - ox * scale), int(cy - oy * scale)
    fl, ft = max(0, left), max(0, top)
    fr, fb = min(WIDTH, left + w), min(HEIGHT, top + h)
    if fr <= fl or fb <= ft:
        return
    region = frame[ft:fb, fl:fr].astype(np.float32)
    c = crop[ft - top : fb - top, fl - left : fr - left]
    m = mask[ft - top : fb - top, fl - left : fr - left]
    frame[ft:fb, fl:fr] = np.clip(region * (1 - m) + c * m, 0, 255).astype(np.uint8)


def build_corpus(count: int, seed: int) -> list[Frame]:
    rng = np.random.default_rng(seed)
    sources = _sources()
    backgrounds = _backgrounds(rng)
    people = sorted(sources)
    frames: list[Frame] = []
    for index in range(count):
        slot = index % 10
        frame = backgrounds[rng.integers(len(backgrounds))].copy()
        reference = people[rng.integers(2)]
        if slot == 0:
            kind, person, face_px = "none", None, 0
        elif slot == 1:
            kind, person = "two", None
            sizes = rng.integers(100, 151, 2)
            order = people if rng.random() < 0.5 else people[::-1]
            for (cx_lo, cx_hi), name, size in zip(((130, 200), (440, 510)), order, sizes, strict=True):
                cx, cy = int(rng.integers(cx_lo, cx_hi)), int(rng.integers(150, 300))
                _paste(frame, sources[name], int(size), cx, cy, rng)
            face_px = int(sizes.max())
        else:
            kind, person = "one", people[rng.integers(2)]
            face_px = int(rng.integers(110, 231))
            margin = face_px // 2 + 10
            cx = int(rng.integers(margin, WIDTH - margin))
            cy = int(rng.integers(margin, HEIGHT - margin))
            _paste(frame, sources[person], face_px, cx, cy, rng)
        ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert ok
        frames.append(Frame(jpeg.tobytes(), kind, person, reference, face_px))
    return frames


# ------------------------------------------------------------------ the three paths

_state: dict = {}


def _references(extra: dict[str, bytes]) -> dict[str, dict[str, np.ndarray]]:
    """Each path's own reference encodings, computed its own way."""
    photos = {name: cv2.imencode(".png", image)[1].tobytes() for name, (image, _) in _sources().items()}
    photos.update(extra)
    out: dict[str, dict[str, np.ndarray]] = {"baseline": {}, "production": {}}
    for name, data in photos.items():
        rgb = face_recognition.load_image_file(io.BytesIO(data))
        # The astronaut photo holds a second, weak "face" (a badge) at one upsample: take the strongest
        # (no upsampling); a corpus photo whose face needs it, with one.
        locations = face_recognition.face_locations(rgb, 0) or face_recognition.face_locations(rgb, 1)
        out["baseline"][name] = face_recognition.face_encodings(rgb, locations[:1])[0]
        out["production"][name] = vision.encode_reference(data)
    return out


def baseline(frame: Frame) -> tuple[str, float | None]:
    image = face_recognition.load_image_file(io.BytesIO(frame.jpeg))
    encodings = face_recognition.face_encodings(image)
    if not encodings:
        return "no_face", None
    if len(encodings) > 1:
        return "multiple_faces", None
    reference = _state["refs"]["baseline"][frame.reference]
    distance = float(face_recognition.face_distance([reference], encodings[0])[0])
    same = face_recognition.compare_faces([reference], encodings[0], tolerance=TOLERANCE)[0]
    return ("match" if same else "mismatch"), distance


def production(frame: Frame) -> tuple[str, float | None]:
    result = vision.check_frame(
        frame.jpeg, _state["refs"]["production"][frame.reference], tolerance=TOLERANCE, detect_width=_state["width"]
    )
    return result.outcome.value, result.distance


def production_no_retry(frame: Frame) -> tuple[str, float | None]:
    """The production path without the retry, timed only to state the retry's cost."""
    result = vision.check_frame(
        frame.jpeg,
        _state["refs"]["production"][frame.reference],
        tolerance=TOLERANCE,
        detection=vision.Detection(widths=(_state["width"],)),
    )
    return result.outcome.value, result.distance


def floor(frame: Frame) -> tuple[str, float | None]:
    cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
    return "", None


PATHS = {"baseline": baseline, "production": production, "floor": floor}


def _init(refs, width: int) -> None:
    _state["refs"] = refs
    _state["width"] = width
    vision.warm_up()


def _run_one(args: tuple[str, Frame]) -> tuple[str, float | None]:
    name, frame = args
    return PATHS[name](frame)


def _warm(_: int) -> None:
    time.sleep(0.05)


# ------------------------------------------------------------------ report


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=320)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--detect-width", type=int, default=vision.DETECT_WIDTH)
    parser.add_argument("--skip-baseline-throughput", action="store_true", help="the slowest part (~1 min)")
    parser.add_argument("--no-faces", action="store_true", help="leave out the face corpus of tests/proctoring/faces")
    args = parser.parse_args()
    if args.frames < 300:
        parser.error("the corpus is at least 300 frames")

    load_before = os.getloadavg()
    vision.warm_up()
    started = time.perf_counter()
    corpus = build_corpus(args.frames, args.seed)
    face_refs: dict[str, bytes] = {}
    if not args.no_faces:
        face_frames, face_refs = _face_corpus()
        corpus += face_frames
    refs = _references(face_refs)
    _init(refs, args.detect_width)
    kinds = Counter(f.kind for f in corpus)
    print(
        f"corpus: {len(corpus)} frames JPEG q80 ({WIDTH}x{HEIGHT} made, at most {WIDTH} wide from the face corpus), {dict(kinds)}, "
        f"mean {statistics.mean(len(f.jpeg) for f in corpus) / 1024:.0f} KiB, built in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"cpu: {os.cpu_count()} cores, load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
    )
    print(
        f"production detect width {args.detect_width} px, tolerance {TOLERANCE}, descriptor via numpy: {vision._get_models().use_numpy}"
    )

    latencies: dict[str, list[float]] = {}
    cpu_ms: dict[str, list[float]] = {}
    decisions: dict[str, list[tuple[str, float | None]]] = {}
    # The paths take turns frame by frame, so that other load on the machine hits them alike.
    for name in PATHS:
        latencies[name], cpu_ms[name], decisions[name] = [], [], []
        for frame in corpus[:5]:
            PATHS[name](frame)
    timed = {**PATHS, "no_retry": production_no_retry}
    latencies["no_retry"], cpu_ms["no_retry"], decisions["no_retry"] = [], [], []
    for frame in corpus:
        for name, path in timed.items():
            t0, c0 = time.perf_counter(), time.process_time()
            decisions[name].append(path(frame))
            latencies[name].append((time.perf_counter() - t0) * 1000)
            cpu_ms[name].append((time.process_time() - c0) * 1000)

    load_mid = os.getloadavg()
    throughput: dict[str, float] = {}
    with multiprocessing.get_context("fork").Pool(
        args.workers, initializer=_init, initargs=(refs, args.detect_width)
    ) as pool:
        pool.map(_warm, range(args.workers * 2))
        # Also in turns, a slice of the corpus at a time.
        names = [n for n in PATHS if not (n == "baseline" and args.skip_baseline_throughput)]
        elapsed = dict.fromkeys(names, 0.0)
        step = 40
        for start in range(0, len(corpus), step):
            for name in names:
                t0 = time.perf_counter()
                pool.map(_run_one, [(name, f) for f in corpus[start : start + step]], chunksize=2)
                elapsed[name] += time.perf_counter() - t0
        throughput = {name: len(corpus) / elapsed[name] for name in names}
    load_after = os.getloadavg()

    print()
    # CPU time per frame is what the machine's other tenants cannot inflate much; wall time is what a user waits.
    print(
        f"{'path':<11} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'cpu p50':>8} {'cpu mean':>9} "
        f"{f'{args.workers}-proc fps':>12} {'cpu-bound fps':>14}"
    )
    for name in PATHS:
        t, c = latencies[name], cpu_ms[name]
        fps = f"{throughput[name]:.1f}" if name in throughput else "-"
        print(
            f"{name:<11} {_pct(t, 0.5):8.1f} {_pct(t, 0.95):8.1f} {statistics.mean(t):8.1f} "
            f"{_pct(c, 0.5):8.1f} {statistics.mean(c):9.1f} {fps:>12} {args.workers * 1000 / statistics.mean(c):14.1f}"
        )
    b, p = latencies["baseline"], latencies["production"]
    bc, pc = cpu_ms["baseline"], cpu_ms["production"]
    print()
    print(
        f"speed-up in CPU time per frame: p50 {_pct(bc, 0.5) / _pct(pc, 0.5):.2f}x, "
        f"mean {statistics.mean(bc) / statistics.mean(pc):.2f}x"
    )
    print(
        f"speed-up in wall time per frame: p50 {_pct(b, 0.5) / _pct(p, 0.5):.2f}x, "
        f"p95 {_pct(b, 0.95) / _pct(p, 0.95):.2f}x, mean {statistics.mean(b) / statistics.mean(p):.2f}x"
    )
    if "baseline" in throughput:
        print(f"{args.workers}-process throughput ratio: {throughput['production'] / throughput['baseline']:.2f}x")
    print(f"production / floor (mean): {statistics.mean(p) / statistics.mean(latencies['floor']):.1f}x")
    for kind in ("one", "none", "two", "corpus"):
        idx = [i for i, f in enumerate(corpus) if f.kind == kind]
        if not idx:
            continue
        print(
            f"  mean ms on '{kind}' frames: baseline {statistics.mean(b[i] for i in idx):.1f}, "
            f"production {statistics.mean(p[i] for i in idx):.1f}"
        )

    # The retry's cost: frames with no face at the fast width pay for a second look.
    retried = [i for i in range(len(corpus)) if decisions["no_retry"][i][0] == "no_face"]
    found = sum(decisions["production"][i][0] != "no_face" for i in retried)
    nr = latencies["no_retry"]
    print(
        f"retry at {vision.SNAPSHOT_RETRY_WIDTH} px: {len(retried)}/{len(corpus)} frames had no face at "
        f"{args.detect_width} px, {found} of them got a face on the retry; mean ms with / without the retry: "
        f"all frames {statistics.mean(p):.1f} / {statistics.mean(nr):.1f}"
        + (
            f", those frames {statistics.mean(p[i] for i in retried):.1f} / {statistics.mean(nr[i] for i in retried):.1f}"
            if retried
            else ""
        )
    )

    print()
    for label, kinds_in in (("made frames", ("one", "none", "two")), ("face corpus", ("corpus",)), ("all", None)):
        idx = [i for i, f in enumerate(corpus) if kinds_in is None or f.kind in kinds_in]
        if not idx:
            continue
        agree = sum(decisions["baseline"][i][0] == decisions["production"][i][0] for i in idx)
        truth_b = sum(decisions["baseline"][i][0] == corpus[i].expected for i in idx)
        truth_p = sum(decisions["production"][i][0] == corpus[i].expected for i in idx)
        print(
            f"{label}: decision agreement with the baseline {agree}/{len(idx)} = {100 * agree / len(idx):.2f} %; "
            f"matches the ground truth: baseline {truth_b}, production {truth_p}"
        )
    deltas = [
        abs(decisions["baseline"][i][1] - decisions["production"][i][1])
        for i in range(len(corpus))
        if decisions["baseline"][i][1] is not None and decisions["production"][i][1] is not None
    ]
    if deltas:
        print(
            f"|distance baseline - production| on one-face frames: mean {statistics.mean(deltas):.3f}, max {max(deltas):.3f}"
        )
    for i, f in enumerate(corpus):
        bd, pd = decisions["baseline"][i], decisions["production"][i]
        if bd[0] != pd[0]:
            print(
                f"  disagree #{i}: {f.kind} {f.name or f'face {f.face_px}px'} expected {f.expected}: "
                f"baseline {bd} production {pd}"
            )
    print(
        f"load average (1/5/15 min) after the single-process runs {load_mid[0]:.2f} {load_mid[1]:.2f} {load_mid[2]:.2f}, "
        f"at the end {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )


if __name__ == "__main__":
    main()
