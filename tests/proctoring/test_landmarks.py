"""The 68-point geometry on a real photo (Grace Hopper, matplotlib's sample data)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from proctoring import landmarks, vision


def _points(image: np.ndarray) -> np.ndarray:
    faces = vision._detect(vision._get_models(), image, vision.DETECT_WIDTH)
    assert len(faces) == 1
    return vision.face_landmarks68(image, vision._box(faces[0]))


def test_a_frontal_face_with_open_eyes_and_closed_mouth(hopper_snapshot: bytes) -> None:
    points = _points(vision.decode_image(hopper_snapshot))
    assert points.shape == (68, 2)
    assert landmarks.eye_aspect_ratio(points) > 0.22
    assert landmarks.mouth_aspect_ratio(points) < 0.15
    assert abs(landmarks.head_turn(points)) < 0.2


def test_a_mirrored_face_turns_the_other_way(hopper_snapshot: bytes) -> None:
    image = vision.decode_image(hopper_snapshot)
    turn = landmarks.head_turn(_points(image))
    mirrored = landmarks.head_turn(_points(np.ascontiguousarray(cv2.flip(image, 1))))
    assert np.sign(turn) == -np.sign(mirrored)


def test_closing_the_eyes_lowers_the_ratio(hopper_snapshot: bytes) -> None:
    points = _points(vision.decode_image(hopper_snapshot))
    shut = points.copy()
    for eye in (landmarks.RIGHT_EYE, landmarks.LEFT_EYE):
        middle = shut[eye][:, 1].mean()
        shut[eye, 1] = middle  # every eye point on one horizontal line
    assert landmarks.eye_aspect_ratio(shut) < 0.05 < landmarks.eye_aspect_ratio(points)


def test_malformed_landmarks_are_refused() -> None:
    with pytest.raises(ValueError, match="68"):
        landmarks.eye_aspect_ratio(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="68"):
        landmarks.head_turn(np.full((68, 2), np.nan))
