"""Will this reference photo match well? Pure checks on one face: arrays in, a refusal reason or None out.

``assess(image_bgr, box, points)`` looks at the face that enrolment found
(``box`` = left, top, right, bottom in the image's pixels; ``points`` its 68
landmarks) and returns the first problem, as a stable reason code that the
services translate (``proctoring.services.errors.IMAGE_REASONS``):

- ``reference_face_too_small``: the face box is under ``MIN_FACE_PX`` a side.
  The descriptor is computed on a 150 px chip; a face much smaller than that
  is upscaled into it and loses the detail that tells people apart.
- ``reference_too_dark`` / ``reference_too_bright``: the mean grey level of the
  face is under ``MIN_MEAN`` or over ``MAX_MEAN``, or more than
  ``MAX_SATURATED`` of its pixels are blown out (>= 250).
- ``reference_blurred``: the variance of the Laplacian of the face, scaled to
  150x150 px (the chip's size, so that the measure does not depend on how large
  the face is in the photo), is under ``MIN_SHARPNESS``.
- ``reference_eyes_closed``: the mean eye aspect ratio is under ``MIN_EYE_RATIO``.
- ``reference_turned``: ``landmarks.head_turn`` is beyond ``MAX_TURN`` either way
  (a three-quarter view is accepted; a near profile is not).

Thresholds were chosen on the face corpus (``tests/proctoring/faces``: 79
originals of 22 people and their edits, measured with these functions): every
original enrols, with margin, and so do its crop, ±15° rotation, JPEG q30 and
320x240 edits (but for two 320x240 faces under 80 px and one crop with no
face); all 79 dark edits (x0.3) and 78 of 79 over-exposed ones (x1.6 + 60)
are refused. On the originals: face side >= 92 px, mean grey 89-187,
saturated <= 16 %, sharpness >= 35 (a soft video still; the median is 348,
and a Gaussian blur of sigma 3 px on the photos brings it to 4-49, median 11),
eye ratio >= 0.17 (a broad smile), turn within ±0.65 (a three-quarter view,
harington_2). The tests (``tests/proctoring/test_quality.py``) show each
refusal on a real photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from proctoring import landmarks

MIN_FACE_PX = 80
MIN_MEAN = 70.0
MAX_MEAN = 200.0
SATURATED = 250
MAX_SATURATED = 0.25
SHARPNESS_SIZE = 150
MIN_SHARPNESS = 20.0
MIN_EYE_RATIO = 0.14
MAX_TURN = 0.8


def face_grey(image_bgr: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The face's box cut out of the image (clipped to it), in grey levels."""
    left, top, right, bottom = box
    height, width = image_bgr.shape[:2]
    region = image_bgr[max(0, top) : min(height, bottom), max(0, left) : min(width, right)]
    if region.size == 0:
        return np.zeros((1, 1), np.uint8)
    if region.ndim == 2:
        return region
    return cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)


def sharpness(grey: np.ndarray) -> float:
    """Variance of the Laplacian of the face scaled to ``SHARPNESS_SIZE`` px square: low when blurred."""
    scaled = cv2.resize(grey, (SHARPNESS_SIZE, SHARPNESS_SIZE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(scaled, cv2.CV_64F).var())


def exposure(grey: np.ndarray) -> str | None:
    """``reference_too_dark``, ``reference_too_bright`` or None."""
    mean = float(grey.mean())
    if mean < MIN_MEAN:
        return "reference_too_dark"
    if mean > MAX_MEAN or float((grey >= SATURATED).mean()) > MAX_SATURATED:
        return "reference_too_bright"
    return None


def assess(image_bgr: np.ndarray, box: tuple[int, int, int, int], points: object) -> str | None:
    """The first reason this face makes a poor reference, or None when it will do."""
    left, top, right, bottom = box
    if min(right - left, bottom - top) < MIN_FACE_PX:
        return "reference_face_too_small"
    grey = face_grey(image_bgr, box)
    problem = exposure(grey)
    if problem:
        return problem
    if sharpness(grey) < MIN_SHARPNESS:
        return "reference_blurred"
    if landmarks.eye_aspect_ratio(points) < MIN_EYE_RATIO:
        return "reference_eyes_closed"
    if abs(landmarks.head_turn(points)) > MAX_TURN:
        return "reference_turned"
    return None
