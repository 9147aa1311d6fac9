"""Packaged faces for the tests and benchmarks: the demo's astronaut, Grace Hopper, and the browser's snapshot.

Grace Hopper ships inside matplotlib (a test requirement only), so she is a
second, different person without a file of our own.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from demo.faces import astronaut_bgr, astronaut_jpeg, blank_jpeg, jpeg

__all__ = [
    "astronaut_bgr",
    "astronaut_jpeg",
    "blank_jpeg",
    "grace_hopper_bgr",
    "grace_hopper_jpeg",
    "snapshot_jpeg",
]


@cache
def grace_hopper_bgr() -> np.ndarray:
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        data = handle.read()
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@cache
def grace_hopper_jpeg() -> bytes:
    return jpeg(grace_hopper_bgr())


def snapshot_jpeg(image_bgr: np.ndarray, width: int = 320, quality: int = 70) -> bytes:
    """What the browser sends: the frame downscaled to ``width`` and JPEG-encoded."""
    h, w = image_bgr.shape[:2]
    small = cv2.resize(image_bgr, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    return jpeg(small, quality)
