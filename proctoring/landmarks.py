"""Face geometry from dlib's 68 landmarks (iBUG 300-W numbering). Pure: arrays in, numbers out.

Used by the enrolment quality checks (eyes closed, strong turn) and by action
liveness (blink, open mouth, turn left/right). Points are ``(68, 2)`` arrays of
pixel coordinates in the frame as the camera captured it (not mirrored): the
person's right eye (points 36-41) is on the image's left.
"""

from __future__ import annotations

import numpy as np

RIGHT_EYE = slice(36, 42)  # the person's right eye: image left in an unmirrored frame
LEFT_EYE = slice(42, 48)
NOSE_TIP = 30
INNER_MOUTH = slice(60, 68)
POINTS = 68


def as_points(points: object) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    if array.shape != (POINTS, 2) or not np.all(np.isfinite(array)):
        raise ValueError(f"landmarks are {POINTS} (x, y) pairs, got shape {array.shape}")
    return array


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def _eye_ratio(eye: np.ndarray) -> float:
    # Soukupová & Čech (2016): (|p2-p6| + |p3-p5|) / (2 |p1-p4|); ~0.25-0.35 open, < ~0.2 closed.
    width = _dist(eye[0], eye[3])
    return (_dist(eye[1], eye[5]) + _dist(eye[2], eye[4])) / (2 * width) if width else 0.0


def eye_aspect_ratio(points: object) -> float:
    """The mean eye aspect ratio of both eyes: small when the eyes are closed."""
    p = as_points(points)
    return (_eye_ratio(p[RIGHT_EYE]) + _eye_ratio(p[LEFT_EYE])) / 2


def mouth_aspect_ratio(points: object) -> float:
    """Inner-lip opening over mouth width: ~0 closed, > ~0.5 wide open."""
    inner = as_points(points)[INNER_MOUTH]  # 60 left corner … 64 right corner, 61-63 upper, 65-67 lower
    width = _dist(inner[0], inner[4])
    opening = _dist(inner[1], inner[7]) + _dist(inner[2], inner[6]) + _dist(inner[3], inner[5])
    return opening / (3 * width) if width else 0.0


def head_turn(points: object) -> float:
    """Where the nose tip lies along the line between the eye centres, as -1 … 1.

    0 is frontal. Positive: the nose has moved towards the person's left eye,
    i.e. the person turned their head to their left (image right in an
    unmirrored frame); negative: to their right. Roughly ±0.3 at a clear 30°
    turn; a profile goes past ±1.
    """
    p = as_points(points)
    right, left = p[RIGHT_EYE].mean(axis=0), p[LEFT_EYE].mean(axis=0)
    axis = left - right
    length2 = float(axis @ axis)
    if not length2:
        return 0.0
    t = float((p[NOSE_TIP] - right) @ axis) / length2
    return (t - 0.5) * 2
