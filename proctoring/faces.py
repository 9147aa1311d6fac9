"""Packaged face photos for the demo data and the tests (no network, no files of our own).

The astronaut (Eileen Collins, NASA, public domain) ships inside scikit-image,
a runtime requirement for this reason; Grace Hopper ships inside matplotlib
(test requirement only).
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np


def _jpeg(image_bgr: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


@cache
def astronaut_bgr() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


@cache
def astronaut_jpeg() -> bytes:
    return _jpeg(astronaut_bgr())


@cache
def grace_hopper_bgr() -> np.ndarray:
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        data = handle.read()
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@cache
def grace_hopper_jpeg() -> bytes:
    return _jpeg(grace_hopper_bgr())


def snapshot_jpeg(image_bgr: np.ndarray, width: int = 320, quality: int = 70) -> bytes:
    """What the browser sends: the frame downscaled to ``width`` and JPEG-encoded."""
    h, w = image_bgr.shape[:2]
    small = cv2.resize(image_bgr, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    return _jpeg(small, quality)


def blank_jpeg(width: int = 320, height: int = 240) -> bytes:
    return _jpeg(np.full((height, width, 3), 128, np.uint8))
