"""Action liveness (动作活体): did a burst of camera frames perform the challenge asked? No Django here.

A check is 2-3 challenges drawn by the server; for each the client sends a
burst of frames (``FRAMES_PER_STEP`` taken ``FRAME_INTERVAL_MS`` apart, as the
camera captured them, not mirrored). ``observe`` reduces a frame to what the
decision needs (how many faces; the 68 landmarks and the face descriptor of
the one face); ``decide_step`` decides the step from those observations alone.

Every decision is relative to the burst itself, so it holds for any face and
camera distance:

- **blink**: the eye aspect ratio falls below ``BLINK_CLOSED`` × the burst's
  open level (its median: most frames of a burst have open eyes) and is at
  ``BLINK_REOPENED`` × that level both before and after the drop: open, shut, open.
- **mouth_open**: the mouth aspect ratio rises by ``MOUTH_RISE`` over the
  burst's start and reaches ``MOUTH_OPEN``.
- **turn_left / turn_right**: ``landmarks.head_turn`` moves ``TURN_DELTA``
  from its start in the asked direction (positive: the person's left). A clear
  turn the other way is ``wrong_direction``.

A still photo, printed or on a screen, has the same geometry in every frame
however it is moved in the image plane (the ratios do not change under a
shift, a zoom or a rotation), so it fails every challenge. Tilting a photo
away from the camera squeezes it vertically and lowers both ratios; the
decision refuses a blink or an open mouth unless the face's vertical
proportion (the nose tip's distance below the eye line, over the distance
between the eyes) stays within ``STEADY`` of the burst's median
(``not_steady``). A replay of another challenge fails too: a blink raises no
mouth ratio, a turn to the right moves the head turn the wrong way.

The burst must show exactly one face in nearly every frame (at most
``missing_allowed`` frames without a face; any frame with several faces fails),
and the same face throughout: consecutive frames' descriptors within
``SAME_FACE_MAX`` of each other (frames 150 ms apart of one person differ by
~0.05-0.2; two people by > 0.6), and the frame nearest the enrolled reference
within the policy's tolerance.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from proctoring import landmarks, vision

FRAMES_PER_STEP = 8
FRAME_INTERVAL_MS = 150
MIN_FRAMES = 3
MAX_FRAMES = 16

# Thresholds, with the noise of a still photo held in a hand (tests/proctoring/faces, 22 people, frames
# moved by up to 6 px, zoomed ±5 %, turned ±4°, JPEG q60-90): the eye ratio dips to 0.80 of the burst's
# median at worst, the mouth ratio rises by 0.18 at worst, the head turn moves by 0.11 at worst.
BLINK_CLOSED = 0.65
BLINK_REOPENED = 0.85
EYES_OPEN_MIN = 0.15  # below this the "open" level is not open eyes (a profile, a blur)
MOUTH_RISE = 0.3
MOUTH_OPEN = 0.35
TURN_DELTA = 0.22
STEADY = 0.1
SAME_FACE_MAX = 0.45


class Challenge(enum.StrEnum):
    BLINK = "blink"
    MOUTH_OPEN = "mouth_open"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


@dataclass(frozen=True, slots=True)
class Observation:
    """One frame: the number of faces; for exactly one face its landmarks and descriptor."""

    face_count: int
    points: np.ndarray | None = None
    descriptor: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class StepDecision:
    passed: bool
    # "passed", or why not: too_few_frames, multiple_faces, no_face, face_changed, identity_mismatch,
    # no_blink, no_mouth_open, no_turn, wrong_direction, not_steady.
    reason: str
    # Numbers only (rounded): what a reviewer reads to see why. Never an image or a descriptor.
    metrics: dict[str, Any] = field(default_factory=dict)


def observe(image_bgr: np.ndarray) -> Observation:
    """Detect with vision's detector; landmarks and descriptor only when there is exactly one face."""
    boxes = vision.face_boxes(image_bgr)
    if len(boxes) != 1:
        return Observation(face_count=len(boxes))
    return Observation(
        face_count=1,
        points=vision.face_landmarks68(image_bgr, boxes[0]),
        descriptor=vision.face_descriptor(image_bgr, boxes[0]),
    )


def missing_allowed(frames: int) -> int:
    """Frames of a burst that may show no face (a blink blurs, a turn goes past the detector): a quarter, at least 1."""
    return max(1, frames // 4)


def _vertical_proportion(points: np.ndarray) -> float:
    p = landmarks.as_points(points)
    right, left = p[landmarks.RIGHT_EYE].mean(axis=0), p[landmarks.LEFT_EYE].mean(axis=0)
    axis = left - right
    width = float(np.linalg.norm(axis))
    if not width:
        return 0.0
    # Distance of the nose tip from the eye line, over the distance between the eyes.
    offset = p[landmarks.NOSE_TIP] - right
    return abs(float(axis[0] * offset[1] - axis[1] * offset[0])) / (width * width)


def _rounded(values: Sequence[float]) -> list[float]:
    return [round(float(v), 3) for v in values]


def _steady(vertical: Sequence[float], index: int) -> bool:
    middle = float(np.median(vertical))
    return bool(middle) and abs(vertical[index] - middle) <= STEADY * middle


def _blink(ear: list[float], vertical: list[float]) -> tuple[bool, str]:
    open_level = float(np.median(ear))
    if open_level < EYES_OPEN_MIN:
        return False, "no_blink"
    closed = [i for i, value in enumerate(ear) if value <= BLINK_CLOSED * open_level]
    for i in closed:
        before = any(value >= BLINK_REOPENED * open_level for value in ear[:i])
        after = any(value >= BLINK_REOPENED * open_level for value in ear[i + 1 :])
        if before and after:
            return (True, "passed") if _steady(vertical, i) else (False, "not_steady")
    return False, "no_blink"


def _mouth(mar: list[float], vertical: list[float]) -> tuple[bool, str]:
    start = mar[0]
    peak = max(range(1, len(mar)), key=lambda i: mar[i])
    if mar[peak] - start >= MOUTH_RISE and mar[peak] >= MOUTH_OPEN:
        return (True, "passed") if _steady(vertical, peak) else (False, "not_steady")
    return False, "no_mouth_open"


def _turn(turn: list[float], sign: int) -> tuple[bool, str]:
    moves = [(value - turn[0]) * sign for value in turn[1:]]
    if max(moves) >= TURN_DELTA:
        return True, "passed"
    return False, "wrong_direction" if min(moves) <= -TURN_DELTA else "no_turn"


def decide_step(
    challenge: Challenge | str,
    frames: Sequence[Observation],
    *,
    reference: np.ndarray | None = None,
    tolerance: float = vision.DEFAULT_TOLERANCE,
) -> StepDecision:
    """Whether the burst ``frames`` (in capture order) performs ``challenge`` by one face, the enrolled one.

    ``reference``: the enrolled descriptor (None: no identity check against
    it, e.g. in tests of the geometry alone).
    """
    challenge = Challenge(challenge)
    counts = [frame.face_count for frame in frames]
    metrics: dict[str, Any] = {"frames": len(frames), "face_counts": counts}
    if len(frames) < MIN_FRAMES:
        return StepDecision(False, "too_few_frames", metrics)
    if any(count > 1 for count in counts):
        return StepDecision(False, "multiple_faces", metrics)
    faces = [frame for frame in frames if frame.face_count == 1 and frame.points is not None]
    if len(frames) - len(faces) > missing_allowed(len(frames)) or len(faces) < MIN_FRAMES:
        return StepDecision(False, "no_face", metrics)
    descriptors = [frame.descriptor for frame in faces if frame.descriptor is not None]
    if descriptors:
        steps = [vision.face_distance(a, b) for a, b in zip(descriptors, descriptors[1:], strict=False)]
        metrics["face_change_max"] = round(max(steps), 3) if steps else 0.0
        if steps and max(steps) > SAME_FACE_MAX:
            return StepDecision(False, "face_changed", metrics)
        if reference is not None:
            nearest = min(vision.face_distance(d, reference) for d in descriptors)
            metrics["reference_distance"] = round(nearest, 3)
            if nearest > tolerance:
                return StepDecision(False, "identity_mismatch", metrics)
    elif reference is not None:
        return StepDecision(False, "identity_mismatch", metrics)
    points = [frame.points for frame in faces]
    vertical = [_vertical_proportion(p) for p in points]
    if challenge == Challenge.BLINK:
        series = [landmarks.eye_aspect_ratio(p) for p in points]
        passed, reason = _blink(series, vertical)
        metrics["ear"] = _rounded(series)
    elif challenge == Challenge.MOUTH_OPEN:
        series = [landmarks.mouth_aspect_ratio(p) for p in points]
        passed, reason = _mouth(series, vertical)
        metrics["mar"] = _rounded(series)
    else:
        series = [landmarks.head_turn(p) for p in points]
        passed, reason = _turn(series, 1 if challenge == Challenge.TURN_LEFT else -1)
        metrics["turn"] = _rounded(series)
    metrics["vertical"] = _rounded(vertical)
    return StepDecision(passed, reason, metrics)


def mean_descriptor(frames: Sequence[Observation]) -> np.ndarray | None:
    """The burst's face, as one descriptor (the mean of its frames'), for comparing with a later photo."""
    descriptors = [frame.descriptor for frame in frames if frame.descriptor is not None]
    return np.mean(descriptors, axis=0) if descriptors else None
