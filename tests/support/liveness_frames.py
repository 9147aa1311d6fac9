"""Frames for action-liveness tests: real photos as a 640x480 camera would send them, and synthetic landmarks.

``face_points`` draws the 68 landmarks (only the points ``proctoring.landmarks``
reads are placed: eyes, nose tip, inner lips) with a given eye opening, mouth
opening and head turn, so a test can write a blink or a turn as numbers.
``nose_warp`` moves the nose of a real photo sideways (an image edit, as a
manipulated video would): the way to produce real frames whose landmarks turn.
"""

from __future__ import annotations

import cv2
import numpy as np

EYE_WIDTH = 24.0
EYES_APART = 60.0


def face_points(
    *, eye: float = 0.3, mouth: float = 0.0, turn: float = 0.0, squeeze: float = 1.0, shift: float = 0.0
) -> np.ndarray:
    """(68, 2) landmarks with eye aspect ratio ``eye``, mouth aspect ratio ``mouth``, head turn ``turn``.

    ``squeeze`` scales the y axis (a photo tilted away from the camera); ``shift`` moves everything.
    """
    p = np.zeros((68, 2))
    height = eye * EYE_WIDTH
    for first, cx in ((36, -EYES_APART / 2), (42, EYES_APART / 2)):
        left, right = cx - EYE_WIDTH / 2, cx + EYE_WIDTH / 2
        third = EYE_WIDTH / 3
        p[first : first + 6] = [
            (left, 0),
            (left + third, -height / 2),
            (right - third, -height / 2),
            (right, 0),
            (right - third, height / 2),
            (left + third, height / 2),
        ]
    p[30] = (turn * EYES_APART / 2, 40)
    opening = mouth * 40
    p[60:68] = [
        (-20, 70),
        (-10, 70 - opening / 2),
        (0, 70 - opening / 2),
        (10, 70 - opening / 2),
        (20, 70),
        (10, 70 + opening / 2),
        (0, 70 + opening / 2),
        (-10, 70 + opening / 2),
    ]
    p[:, 1] *= squeeze
    return p + (300 + shift, 200 + shift)


def camera_frame(image_bgr: np.ndarray) -> np.ndarray:
    """The photo fitted into a 640x480 frame, as a webcam would frame a face."""
    h, w = image_bgr.shape[:2]
    scale = 480 / h
    fitted = cv2.resize(image_bgr, (round(w * scale), 480), interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 640, 3), 40, np.uint8)
    if fitted.shape[1] > 640:
        x = (fitted.shape[1] - 640) // 2
        return np.ascontiguousarray(fitted[:, x : x + 640])
    x = (640 - fitted.shape[1]) // 2
    canvas[:, x : x + fitted.shape[1]] = fitted
    return canvas


def moved(image_bgr: np.ndarray, *, dx: float = 0, dy: float = 0, zoom: float = 1.0, angle: float = 0.0) -> np.ndarray:
    """The frame of a photo held in the hand: shifted, zoomed and rotated in the image plane."""
    h, w = image_bgr.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    matrix[:, 2] += (dx, dy)
    return cv2.warpAffine(image_bgr, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def nose_warp(image_bgr: np.ndarray, nose: tuple[float, float], shift: float, sigma: float) -> np.ndarray:
    """Move the image content around ``nose`` by ``shift`` pixels to the right (negative: left)."""
    h, w = image_bgr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-((xx - nose[0]) ** 2 + (yy - nose[1]) ** 2) / (2 * sigma**2)).astype(np.float32)
    return cv2.remap(image_bgr, xx - shift * bump, yy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def jpeg(image_bgr: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()
