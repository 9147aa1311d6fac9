"""Action-liveness decisions (proctoring.liveness): on landmark sequences, and on real photos through dlib.

A still photo, moved in the hand or not, must fail every challenge; a replay of
another challenge must fail; so must a photo tilted to fake a blink.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from proctoring import liveness, vision
from proctoring.liveness import Challenge, Observation, decide_step
from tests.support import faces
from tests.support.liveness_frames import camera_frame, face_points, jpeg, moved, nose_warp

ALL = list(Challenge)
FACE = np.full(128, 0.05)


def burst(**series: list[float]) -> list[Observation]:
    """One synthetic frame per value; the keyword arguments of face_points as series of equal length."""
    length = len(next(iter(series.values())))
    return [
        Observation(1, face_points(**{name: values[i] for name, values in series.items()}), FACE) for i in range(length)
    ]


BLINK = {"eye": [0.3, 0.31, 0.3, 0.12, 0.08, 0.29, 0.3, 0.3]}
MOUTH = {"mouth": [0.02, 0.02, 0.1, 0.3, 0.5, 0.55, 0.5, 0.3]}
LEFT = {"turn": [0.0, 0.02, 0.1, 0.2, 0.3, 0.35, 0.35, 0.3]}
RIGHT = {"turn": [-t for t in LEFT["turn"]]}
PERFORMED = {
    Challenge.BLINK: BLINK,
    Challenge.MOUTH_OPEN: MOUTH,
    Challenge.TURN_LEFT: LEFT,
    Challenge.TURN_RIGHT: RIGHT,
}


@pytest.mark.parametrize("challenge", ALL)
def test_each_challenge_performed_passes(challenge: Challenge) -> None:
    decision = decide_step(challenge, burst(**PERFORMED[challenge]), reference=FACE)
    assert decision.passed, decision
    assert decision.reason == "passed"


@pytest.mark.parametrize("challenge", ALL)
@pytest.mark.parametrize("performed", ALL)
def test_a_replay_of_another_challenge_fails(challenge: Challenge, performed: Challenge) -> None:
    if challenge == performed:
        return
    decision = decide_step(challenge, burst(**PERFORMED[performed]))
    assert not decision.passed
    expected = {
        Challenge.BLINK: {"no_blink"},
        Challenge.MOUTH_OPEN: {"no_mouth_open"},
        Challenge.TURN_LEFT: {"no_turn", "wrong_direction"},
        Challenge.TURN_RIGHT: {"no_turn", "wrong_direction"},
    }[challenge]
    assert decision.reason in expected


def test_turning_right_when_asked_left_is_the_wrong_direction() -> None:
    assert decide_step(Challenge.TURN_LEFT, burst(**RIGHT)).reason == "wrong_direction"
    assert decide_step(Challenge.TURN_RIGHT, burst(**LEFT)).reason == "wrong_direction"


@pytest.mark.parametrize("challenge", ALL)
def test_still_landmarks_fail_every_challenge_however_the_photo_is_moved(challenge: Challenge) -> None:
    rng = np.random.default_rng(3)
    still = [Observation(1, face_points(shift=float(rng.uniform(-20, 20))), FACE) for _ in range(8)]
    assert decide_step(challenge, still).passed is False
    # Zoomed and rotated in the image plane: the ratios do not change.
    for angle in (5.0, -8.0):
        theta = np.deg2rad(angle)
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        frames = [Observation(1, (face_points() @ rotation.T) * (1 + 0.05 * i), FACE) for i in range(8)]
        assert decide_step(challenge, frames).passed is False


def test_a_blink_needs_open_eyes_before_and_after() -> None:
    assert decide_step(Challenge.BLINK, burst(eye=[0.08, 0.08, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])).reason == "no_blink"
    assert decide_step(Challenge.BLINK, burst(eye=[0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.08, 0.08])).reason == "no_blink"
    # A shallow dip (a squint, landmark noise) is not a blink.
    assert decide_step(Challenge.BLINK, burst(eye=[0.3, 0.3, 0.27, 0.25, 0.27, 0.3, 0.3, 0.3])).reason == "no_blink"


def test_a_photo_tilted_away_fakes_neither_a_blink_nor_an_open_mouth() -> None:
    # Tilting a photo squeezes it vertically: the eye ratio drops, and so does the face's vertical proportion.
    tilt = [1.0, 1.0, 1.0, 0.6, 0.6, 1.0, 1.0, 1.0]
    assert decide_step(Challenge.BLINK, burst(squeeze=tilt, eye=[0.3] * 8)).reason == "not_steady"
    # A photo of an open mouth, first tilted, then held straight: the mouth ratio "rises".
    untilt = [0.4, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert decide_step(Challenge.MOUTH_OPEN, burst(squeeze=untilt, mouth=[0.6] * 8)).reason == "not_steady"


def test_one_face_in_nearly_every_frame() -> None:
    frames = burst(**BLINK)
    # One frame of eight without a face (a blur) is tolerated: a quarter of the burst.
    assert decide_step(Challenge.BLINK, [*frames[:1], Observation(0), *frames[2:]]).passed
    assert decide_step(Challenge.BLINK, [Observation(0)] * 3 + frames[3:]).reason == "no_face"
    assert decide_step(Challenge.BLINK, [*frames[:4], Observation(2), *frames[5:]]).reason == "multiple_faces"
    assert decide_step(Challenge.BLINK, frames[:2]).reason == "too_few_frames"


def test_the_same_face_throughout_and_the_enrolled_one() -> None:
    frames = burst(**LEFT)
    other = np.full(128, 0.05)
    other[:40] += 0.2  # another person: ~1.26 away
    swapped = [*frames[:4], *(Observation(1, f.points, other) for f in frames[4:])]
    assert decide_step(Challenge.TURN_LEFT, swapped).reason == "face_changed"
    assert decide_step(Challenge.TURN_LEFT, frames, reference=other).reason == "identity_mismatch"
    assert decide_step(Challenge.TURN_LEFT, frames, reference=FACE).passed


def test_metrics_are_numbers_for_the_review() -> None:
    decision = decide_step(Challenge.BLINK, burst(**BLINK), reference=FACE)
    assert decision.metrics["ear"][4] == pytest.approx(0.08, abs=1e-3)
    assert decision.metrics["reference_distance"] == 0.0
    assert all(isinstance(v, int | float | list) for v in decision.metrics.values())


# --- real photos through the detector, the 68 landmarks and the descriptor ---------------------


@pytest.fixture(scope="module")
def hopper_frame() -> np.ndarray:
    return camera_frame(faces.grace_hopper_bgr())


def _observe(images: list[np.ndarray]) -> list[Observation]:
    return [liveness.observe(vision.decode_image(jpeg(image))) for image in images]


@pytest.fixture(scope="module")
def hopper_face(hopper_frame: np.ndarray) -> np.ndarray:
    return vision.encode_reference(jpeg(hopper_frame))


STILLS: dict[str, Callable[[np.ndarray], list[np.ndarray]]] = {
    "the same frame": lambda f: [f] * 8,
    "held in a hand": lambda f: [
        moved(f, dx=4 * np.sin(i), dy=3 * np.cos(i), zoom=1 + 0.02 * i, angle=1.5 * np.sin(i)) for i in range(8)
    ],
    "mirrored halfway": lambda f: [f] * 4 + [np.ascontiguousarray(cv2.flip(f, 1))] * 4,
    "darker halfway": lambda f: [f] * 4 + [cv2.convertScaleAbs(f, alpha=0.6)] * 4,
}


@pytest.mark.parametrize("still", list(STILLS))
def test_a_real_still_photo_fails_every_challenge(
    hopper_frame: np.ndarray, hopper_face: np.ndarray, still: str
) -> None:
    frames = _observe(STILLS[still](hopper_frame))
    assert all(frame.face_count == 1 for frame in frames)
    for challenge in ALL:
        decision = decide_step(challenge, frames, reference=hopper_face)
        assert not decision.passed, (challenge, decision)
        # Failed on the action itself, not on the face: the face is Grace Hopper's throughout.
        assert decision.reason in {"no_blink", "no_mouth_open", "no_turn", "wrong_direction"}, decision


def test_another_face_in_the_burst_fails(hopper_frame: np.ndarray, hopper_face: np.ndarray) -> None:
    astronaut = camera_frame(faces.astronaut_bgr())
    frames = _observe([hopper_frame] * 4 + [astronaut] * 4)
    assert decide_step(Challenge.BLINK, frames, reference=hopper_face).reason == "face_changed"
    assert decide_step(Challenge.BLINK, _observe([astronaut] * 8), reference=hopper_face).reason == (
        "identity_mismatch"
    )


def test_a_nose_moved_sideways_in_real_frames_reads_as_a_turn_that_way(
    hopper_frame: np.ndarray, hopper_face: np.ndarray
) -> None:
    """The geometry on real landmarks: image right is the person's left (an edited photo, not a live face)."""
    first = _observe([hopper_frame])[0]
    nose = (float(first.points[30][0]), float(first.points[30][1]))
    sigma = 0.45 * float(np.linalg.norm(first.points[36:42].mean(0) - first.points[42:48].mean(0)))
    images = [nose_warp(hopper_frame, nose, shift, sigma) for shift in (0, 0, 6, 12, 18, 20, 20, 20)]
    frames = _observe(images)
    assert decide_step(Challenge.TURN_LEFT, frames, reference=hopper_face).passed
    assert decide_step(Challenge.TURN_RIGHT, frames, reference=hopper_face).reason == "wrong_direction"


CORPUS = Path(__file__).parent / "faces"


def _corpus_photos() -> list[Path]:
    """One original per identity of the face corpus (tests/proctoring/faces, labels.csv)."""
    seen: dict[str, Path] = {}
    with (CORPUS / "labels.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["kind"] in ("original", "glasses") and row["identity"] not in seen:
                seen[row["identity"]] = CORPUS / row["file"]
    return list(seen.values())


def test_a_still_photo_of_anyone_in_the_corpus_fails_every_challenge() -> None:
    photos = _corpus_photos()
    assert len(photos) >= 20
    rng = np.random.default_rng(16)
    decided_on_the_action = 0
    for path in photos:
        frame = camera_frame(cv2.imread(str(path)))
        # Held in a hand: shifted, zoomed and turned a little from frame to frame, at varying JPEG quality.
        images = [frame] + [
            moved(
                frame,
                dx=rng.uniform(-6, 6),
                dy=rng.uniform(-6, 6),
                zoom=rng.uniform(0.95, 1.05),
                angle=rng.uniform(-4, 4),
            )
            for _ in range(5)
        ]
        frames = [liveness.observe(vision.decode_image(jpeg(image, int(rng.integers(60, 91))))) for image in images]
        for challenge in ALL:
            decision = decide_step(challenge, frames)
            assert not decision.passed, (path.name, challenge, decision)
        decided_on_the_action += decision.reason in {"no_turn", "wrong_direction"}
    # Most photos show one face the detector finds at the snapshot width: those fail on the action itself.
    assert decided_on_the_action >= len(photos) - 3
