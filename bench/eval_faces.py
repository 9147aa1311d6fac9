"""Face matching error rates on the labelled corpus: production path and naive path side by side.

    flock /tmp/heavy.lock .venv/bin/python bench/eval_faces.py            # ~6 min on one core
    flock /tmp/heavy.lock .venv/bin/python bench/eval_faces.py --no-edits # originals only, ~1 min

Corpus: ``tests/proctoring/faces/`` (real photos of 27 people, see its README)
and the edits ``bench/make_face_corpus.py`` derives from them in memory.

Every original is enrolled as a reference and every image (originals and
edits) is a probe compared with every reference:
- genuine pairs: same identity, the probe NOT made from the reference photo
  (a different photo of the person, or an edit of a different photo);
- same-photo pairs: the probe is an edit of the reference photo itself
  (reported apart: an easy case a live camera never gives);
- impostor pairs: different identities.

Two paths:
- production: ``vision.encode_reference`` for references, ``vision.check_frame``
  for probes (its detection, its descriptor, its decision);
- naive: ``face_recognition.face_locations`` (HOG, one upsample) on the full
  image, ``face_encodings``, Euclidean distance; a reference or probe needs
  exactly one face.

Prints per path: enrolment failures; probe detection (one face / no face /
several); genuine and impostor distance distributions; where each kind of pair
lands (match / uncertain / mismatch / no usable face) under the thresholds, which
is the false-accept rate (impostor -> match), the rate of impostors sent to
review (impostor -> uncertain), the false-reject rate (genuine -> mismatch) and
the re-try rate (genuine -> uncertain); and the operating point the corpus
suggests: the lower threshold just under the closest impostor pair (0 false
accepts, with a margin), the upper one where genuine pairs stop.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import face_recognition  # noqa: E402
import make_face_corpus as corpus  # noqa: E402
import numpy as np  # noqa: E402

from proctoring import vision  # noqa: E402

# The margin kept under the closest impostor pair when the corpus chooses the lower threshold.
MARGIN = 0.03
# For the report's "two different women" line (the case of a false accept at 0.599).
WOMEN = {"jolie", "aniston", "johansson", "mayer", "perry", "leslie", "hopper", "collins", "cox", "kudrow"}


@dataclass
class Probe:
    item: object  # corpus.Item
    status: str  # one | no_face | multiple_faces
    descriptor: np.ndarray | None


def _production(items: list, match: float, mismatch: float) -> tuple[dict, dict, dict]:
    """(references by file, enrolment failures by file, probes by file)."""
    refs, failures, probes = {}, {}, {}
    for item in items:
        if item.is_original:
            try:
                refs[item.file] = vision.encode_reference(item.data)
            except vision.ReferenceRejected as exc:
                failures[item.file] = exc.reason
    anchor = next(iter(refs.values()))
    models = vision._get_models()
    for item in items:
        check = vision.check_frame(item.data, anchor, match_threshold=match, mismatch_threshold=mismatch)
        if check.distance is None:
            probes[item.file] = Probe(item, str(check.outcome), None)
            continue
        # check_frame returns the distance, not the descriptor: recompute the descriptor of the box it
        # used (the encoder is deterministic) and verify it gives the very same distance.
        image = vision.decode_image(item.data)
        for box in check.boxes:
            rect = models.dlib.rectangle(box.left, box.top, box.right, box.bottom)
            descriptor = vision._encode_face(models, image, rect)
            if abs(vision.face_distance(descriptor, anchor) - check.distance) < 1e-6:
                break
        else:
            raise RuntimeError(f"{item.file}: no box reproduces check_frame's distance")
        probes[item.file] = Probe(item, "one", descriptor)
    return refs, failures, probes


def _naive(items: list) -> tuple[dict, dict, dict]:
    refs, failures, probes = {}, {}, {}
    for item in items:
        image = face_recognition.load_image_file(_as_file(item.data))
        boxes = face_recognition.face_locations(image, 1)
        if len(boxes) == 1:
            descriptor = np.asarray(face_recognition.face_encodings(image, boxes)[0])
            status = "one"
        else:
            descriptor, status = None, "no_face" if not boxes else "multiple_faces"
        probes[item.file] = Probe(item, status, descriptor)
        if item.is_original:
            if descriptor is None:
                failures[item.file] = "reference_no_face" if not boxes else "reference_multiple_faces"
            else:
                refs[item.file] = descriptor
    return refs, failures, probes


def _as_file(data: bytes):
    import io

    return io.BytesIO(data)


def _pairs(refs: dict, probes: dict, identity: dict) -> dict[str, list[tuple[str, str, float | None]]]:
    """(reference, probe, distance or None when the probe has no usable face) by pair kind."""
    out: dict[str, list] = defaultdict(list)
    for ref_file, ref in refs.items():
        for probe_file, probe in probes.items():
            if probe_file == ref_file:
                continue
            if identity[ref_file] != probe.item.identity:
                kind = "impostor"
            elif probe.item.source == ref_file:
                kind = "same_photo"
            else:
                kind = "genuine"
            distance = vision.face_distance(probe.descriptor, ref) if probe.descriptor is not None else None
            out[kind].append((ref_file, probe_file, distance, probe.item.kind))
    return out


def _percentiles(values: list[float]) -> str:
    if not values:
        return "(none)"
    a = np.asarray(values)
    p = np.percentile(a, [1, 5, 50, 95, 99])
    return (
        f"n={a.size:6d} min {a.min():.3f}  p1 {p[0]:.3f}  p5 {p[1]:.3f}  "
        f"p50 {p[2]:.3f}  p95 {p[3]:.3f}  p99 {p[4]:.3f}  max {a.max():.3f}"
    )


def _lands(pairs: list, match: float, mismatch: float) -> Counter:
    counts: Counter = Counter()
    for _, _, distance, _ in pairs:
        counts["no_face" if distance is None else str(vision.decide(distance, match, mismatch))] += 1
    return counts


def _rates(counts: Counter) -> str:
    total = sum(counts.values()) or 1
    return "  ".join(
        f"{name} {counts[name] / total * 100:6.2f}% ({counts[name]})"
        for name in ("match", "uncertain", "mismatch", "no_face")
    )


def _pct(part: int, whole: int) -> str:
    return f"{part / max(1, whole) * 100:.2f}% ({part}/{whole})"


def summary(pairs: dict, match: float, mismatch: float, skip_kinds: tuple[str, ...] = ()) -> dict[str, str]:
    """The headline rates: FAR, impostors sent to review, FRR (flagged), genuine asked again."""
    impostor = _lands(pairs["impostor"], match, mismatch)
    genuine = _lands([p for p in pairs["genuine"] if p[3] not in skip_kinds], match, mismatch)
    n_imp, n_gen = sum(impostor.values()), sum(genuine.values())
    return {
        "FAR (impostor -> match)": _pct(impostor["match"], n_imp),
        "impostor -> uncertain (review)": _pct(impostor["uncertain"], n_imp),
        "FRR (genuine -> mismatch)": _pct(genuine["mismatch"], n_gen),
        "genuine -> uncertain (another frame)": _pct(genuine["uncertain"], n_gen),
        "genuine -> no usable face": _pct(genuine["no_face"], n_gen),
        "genuine not matched at once": _pct(n_gen - genuine["match"], n_gen),
    }


def operating_point(pairs: dict) -> tuple[float, float]:
    """(lower, upper) the corpus suggests: 0 false accepts with a margin; upper where genuine pairs stop."""
    impostor = [p[2] for p in pairs["impostor"] if p[2] is not None]
    genuine = [p[2] for p in pairs["genuine"] if p[2] is not None]
    lower = np.floor((min(impostor) - MARGIN) * 100) / 100
    upper = max(lower, np.ceil(np.percentile(genuine, 99) * 100) / 100)
    return float(lower), float(upper)


def report(name: str, refs: dict, failures: dict, probes: dict, match: float, mismatch: float) -> dict:
    identity = {f: p.item.identity for f, p in probes.items()}
    print(f"\n=== {name} ===")
    print(f"enrolment: {len(refs)} of {len(refs) + len(failures)} originals enrolled")
    for file, reason in sorted(failures.items()):
        print(f"  refused {file}: {reason}")
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for probe in probes.values():
        by_kind[probe.item.kind][probe.status] += 1
    print("probes with exactly one face, by kind:")
    for kind, counts in by_kind.items():
        total = sum(counts.values())
        missed = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "one")
        print(f"  {kind:9s} {counts['one']:3d}/{total:3d}" + (f"  ({missed})" if missed else ""))
    pairs = _pairs(refs, probes, identity)
    print("distances:")
    for kind in ("genuine", "same_photo", "impostor"):
        print(f"  {kind:10s} {_percentiles([p[2] for p in pairs[kind] if p[2] is not None])}")
    closest = sorted((p for p in pairs["impostor"] if p[2] is not None), key=lambda p: p[2])[:5]
    print("  closest impostor pairs: " + "; ".join(f"{r} vs {p} {d:.3f}" for r, p, d, _ in closest))
    farthest = sorted((p for p in pairs["genuine"] if p[2] is not None), key=lambda p: -p[2])[:5]
    print("  farthest genuine pairs: " + "; ".join(f"{r} vs {p} {d:.3f}" for r, p, d, _ in farthest))
    women = sorted(
        (
            p
            for p in pairs["impostor"]
            if p[2] is not None
            and p[3] in corpus.SOURCE_KINDS
            and identity[p[0]] in WOMEN
            and probes[p[1]].item.identity in WOMEN
        ),
        key=lambda p: p[2],
    )[:3]
    print(
        "  closest pairs of two different women (originals): "
        + "; ".join(f"{r} vs {p} {d:.3f}" for r, p, d, _ in women)
    )
    print(f"decisions at match <= {match:.2f} < uncertain <= {mismatch:.2f} < mismatch:")
    for kind in ("genuine", "same_photo", "impostor"):
        print(f"  {kind:10s} {_rates(_lands(pairs[kind], match, mismatch))}")
    genuine_by_probe_kind: dict[str, list] = defaultdict(list)
    for pair in pairs["genuine"]:
        genuine_by_probe_kind[probes[pair[1]].item.kind].append(pair)
    print("  genuine pairs by probe kind:")
    for kind, kind_pairs in genuine_by_probe_kind.items():
        print(f"    {kind:9s} {_rates(_lands(kind_pairs, match, mismatch))}")
    for title, skip in (("all genuine pairs", ()), ("without the over-exposed edit", ("bright",))):
        print(f"  at these thresholds, {title}:")
        for name, value in summary(pairs, match, mismatch, skip).items():
            print(f"    {name:38s} {value}")
    old = summary(pairs, vision.DEFAULT_TOLERANCE, vision.DEFAULT_TOLERANCE)
    print(
        f"  the old single tolerance {vision.DEFAULT_TOLERANCE}: FAR {old['FAR (impostor -> match)']}, "
        f"FRR {old['FRR (genuine -> mismatch)']}"
    )
    lower, upper = operating_point(pairs)
    print(f"operating point this corpus suggests: match <= {lower:.2f}, mismatch > {upper:.2f}")
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--faces", type=Path, default=corpus.FACES, help="a corpus folder: photos and a labels.csv (default: ours)"
    )
    parser.add_argument("--no-edits", action="store_true", help="originals only")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive path (the slow one)")
    parser.add_argument("--match", type=float, default=vision.DEFAULT_MATCH_THRESHOLD)
    parser.add_argument("--mismatch", type=float, default=vision.DEFAULT_MISMATCH_THRESHOLD)
    args = parser.parse_args()
    items = list(corpus.load(args.faces, with_edits=not args.no_edits))
    people = {item.identity for item in items}
    print(
        f"corpus: {len(items)} images ({sum(i.is_original for i in items)} originals) of {len(people)} people; "
        f"thresholds match <= {args.match}, mismatch > {args.mismatch}"
    )
    started = time.perf_counter()
    vision.warm_up()
    report("production (proctoring.vision)", *_production(items, args.match, args.mismatch), args.match, args.mismatch)
    print(f"[{time.perf_counter() - started:.0f} s]")
    if not args.no_naive:
        started = time.perf_counter()
        report("naive (face_recognition, upsample 1)", *_naive(items), args.match, args.mismatch)
        print(f"[{time.perf_counter() - started:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
