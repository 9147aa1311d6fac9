"""Packaged face photos for the demo data (no network, no files of our own).

The astronaut (Eileen Collins, NASA, public domain) ships inside scikit-image,
a runtime requirement for this reason: she is the demo learner's enrolled face.
The tests' second face and the browser's snapshot are in ``tests/support/faces.py``.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np


def jpeg(image_bgr: np.ndarray, quality: int = 90) -> bytes:
    """The image (BGR) as JPEG bytes."""
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
    return jpeg(astronaut_bgr())


def blank_jpeg(width: int = 320, height: int = 240) -> bytes:
    return jpeg(np.full((height, width, 3), 128, np.uint8))
