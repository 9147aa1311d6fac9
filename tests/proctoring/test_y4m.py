"""Y4M files for Chromium's fake camera, read back byte for byte and face for face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from proctoring import vision
from tests.support.y4m import fit_frame, read_y4m, write_y4m


@pytest.fixture(scope="module")
def astronaut_bgr() -> np.ndarray:
    return np.ascontiguousarray(skdata.astronaut()[:, :, ::-1])


def test_header_and_frames_are_what_chromium_expects(tmp_path, astronaut_bgr):
    frame = fit_frame(astronaut_bgr)
    path = write_y4m(tmp_path / "face.y4m", [frame, frame, frame])
    raw = path.read_bytes()
    header = b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n"
    assert raw.startswith(header + b"FRAME\n")
    assert len(raw) == len(header) + 3 * (len(b"FRAME\n") + 640 * 480 * 3 // 2)

    fields, frames = read_y4m(path)
    assert (fields["W"], fields["H"], fields["F"], fields["C"]) == ("640", "480", "10:1", "420jpeg")
    assert len(frames) == 3
    assert frames[0].shape == (480, 640, 3)
    # 4:2:0 halves the chroma resolution; luminance survives, colours nearly so.
    assert np.abs(frames[0].astype(int) - frame.astype(int)).mean() < 4


def test_the_face_survives_the_round_trip(tmp_path, astronaut_bgr):
    reference = vision.encode_reference(cv2.imencode(".png", astronaut_bgr)[1].tobytes())
    _, frames = read_y4m(write_y4m(tmp_path / "face.y4m", [fit_frame(astronaut_bgr)]))
    result = vision.check_frame(cv2.imencode(".jpg", frames[0])[1].tobytes(), reference)
    assert result.outcome is vision.Outcome.MATCH
    assert result.distance < 0.15


def test_fit_frame_letterboxes_without_distortion(astronaut_bgr):
    frame = fit_frame(astronaut_bgr, 640, 480)
    assert frame.shape == (480, 640, 3)
    # A square picture in a 4:3 frame: black bars left and right, picture in the middle.
    assert frame[:, :70].max() == 0
    assert frame[:, 570:].max() == 0
    assert frame[:, 80:560].mean() > 40


def test_mismatched_or_odd_frames_are_refused(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_y4m(tmp_path / "odd.y4m", [np.zeros((479, 640, 3), np.uint8)])
    with pytest.raises(ValueError, match="frame 1"):
        write_y4m(tmp_path / "mixed.y4m", [np.zeros((480, 640, 3), np.uint8), np.zeros((240, 320, 3), np.uint8)])
    assert not (tmp_path / "mixed.y4m").exists()
    with pytest.raises(ValueError, match="no frames"):
        write_y4m(tmp_path / "empty.y4m", [])
    assert not (tmp_path / "empty.y4m").exists()
