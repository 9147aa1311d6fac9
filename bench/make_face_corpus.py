"""The labelled face corpus: committed originals plus edits derived from them.

    .venv/bin/python bench/make_face_corpus.py            # write the edits, check labels.csv
    .venv/bin/python bench/make_face_corpus.py --labels   # rewrite labels.csv from the originals

The originals (real photos of 22 people, their sources and licences in
``tests/proctoring/faces/README.md``) are committed in ``tests/proctoring/faces/``.
The edits are not: they are computed from the originals, deterministically, by
``edits()`` (no randomness, no face detector), so ``bench/eval_faces.py`` and
the tests make them in memory and this script only writes them to
``tests/proctoring/faces/edits/`` (ignored by git) for whoever wants to look.

Edits of every original, each a JPEG q90 unless said otherwise:
- ``crop``: the central 60 % x 60 % around the face (the originals were cut
  with the face centred horizontally, ~42 % down), i.e. a close framing;
- ``rot+15`` / ``rot-15``: rotated 15 degrees (counter-clockwise / clockwise)
  about the centre, edges replicated;
- ``dark``: every pixel x 0.3 (an unlit room);
- ``bright``: x 1.6 + 60, clipped (over-exposed, a window behind the camera);
- ``jpeg30``: re-encoded at JPEG quality 30;
- ``small320``: cut to 4:3 around the centre and scaled to 320x240 (a cheap
  webcam, or a frame the client downsized).
Originals where the person wears glasses have the kind ``glasses`` instead of
``original``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT / "tests" / "proctoring" / "faces"
LABELS = FACES / "labels.csv"
EDITS_DIR = "edits"
SOURCE_KINDS = ("original", "glasses")
FIELDS = ("file", "identity", "kind", "note")


def _jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def _crop(image: np.ndarray) -> bytes:
    h, w = image.shape[:2]
    cx, cy = w / 2, 0.42 * h
    x0, x1 = max(0, round(cx - 0.3 * w)), min(w, round(cx + 0.3 * w))
    y0, y1 = max(0, round(cy - 0.3 * h)), min(h, round(cy + 0.3 * h))
    return _jpeg(image[y0:y1, x0:x1])


def _rotate(angle: float) -> Callable[[np.ndarray], bytes]:
    def rotate(image: np.ndarray) -> bytes:
        h, w = image.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        return _jpeg(cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE))

    return rotate


def _levels(gain: float, offset: float) -> Callable[[np.ndarray], bytes]:
    def levels(image: np.ndarray) -> bytes:
        return _jpeg(np.clip(image.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8))

    return levels


def _small320(image: np.ndarray) -> bytes:
    h, w = image.shape[:2]
    if w * 3 > h * 4:  # wider than 4:3: cut the sides
        cw, ch = round(h * 4 / 3), h
    else:
        cw, ch = w, round(w * 3 / 4)
    x0, y0 = (w - cw) // 2, max(0, min(h - ch, round(0.42 * h - ch / 2)))
    return _jpeg(cv2.resize(image[y0 : y0 + ch, x0 : x0 + cw], (320, 240), interpolation=cv2.INTER_AREA))


EDITS: dict[str, Callable[[np.ndarray], bytes]] = {
    "crop": _crop,
    "rot+15": _rotate(15),
    "rot-15": _rotate(-15),
    "dark": _levels(0.3, 0),
    "bright": _levels(1.6, 60),
    "jpeg30": lambda image: _jpeg(image, 30),
    "small320": _small320,
}


@dataclass(frozen=True)
class Item:
    file: str  # relative to tests/proctoring/faces/
    identity: str
    kind: str
    note: str
    source: str  # the original this was made from (itself for an original)
    data: bytes

    @property
    def is_original(self) -> bool:
        return self.kind in SOURCE_KINDS


def read_labels(path: Path = LABELS) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def edit_name(original: str, kind: str) -> str:
    return f"{EDITS_DIR}/{Path(original).stem}__{kind}.jpg"


def edits(image: np.ndarray) -> dict[str, bytes]:
    """Every edit of one decoded (BGR) original, as JPEG bytes."""
    return {kind: make(image) for kind, make in EDITS.items()}


def load(faces: Path = FACES, *, with_edits: bool = True) -> Iterator[Item]:
    """The corpus in labels.csv order: each original, then (optionally) its edits, made in memory."""
    labels = read_labels(faces / "labels.csv")
    for row in labels:
        if row["kind"] not in SOURCE_KINDS:
            continue
        data = (faces / row["file"]).read_bytes()
        yield Item(row["file"], row["identity"], row["kind"], row["note"], row["file"], data)
        if with_edits:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            for kind, edited in edits(image).items():
                yield Item(edit_name(row["file"], kind), row["identity"], kind, "", row["file"], edited)


def _label_rows(originals: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for row in originals:
        rows.append(row)
        for kind in EDITS:
            rows.append(
                {
                    "file": edit_name(row["file"], kind),
                    "identity": row["identity"],
                    "kind": kind,
                    "note": f"made from {row['file']} by bench/make_face_corpus.py",
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", action="store_true", help="rewrite labels.csv (edit rows) from its original rows")
    args = parser.parse_args()
    originals = [row for row in read_labels() if row["kind"] in SOURCE_KINDS]
    expected = _label_rows(originals)
    if args.labels:
        with LABELS.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(expected)
        print(f"labels.csv: {len(originals)} originals, {len(expected)} rows")
    elif read_labels() != expected:
        print("labels.csv is stale: run bench/make_face_corpus.py --labels", file=sys.stderr)
        return 1
    (FACES / EDITS_DIR).mkdir(exist_ok=True)
    count = 0
    for item in load():
        if not item.is_original:
            (FACES / item.file).write_bytes(item.data)
            count += 1
    print(f"{count} edits written to {FACES / EDITS_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
