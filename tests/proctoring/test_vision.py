"""proctoring.vision on real faces (they ship inside scikit-image and matplotlib). No database."""

from __future__ import annotations

import struct
import zlib

import cv2
import face_recognition
import matplotlib.cbook
import numpy as np
import pytest
from skimage import data as skdata

from proctoring import vision
from proctoring.vision import Outcome


def _jpeg(image_rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image_rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def _png(image_rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image_rgb[:, :, ::-1]))
    assert ok
    return buf.tobytes()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skdata.astronaut()


@pytest.fixture(scope="module")
def hopper_jpeg() -> bytes:
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def hopper(hopper_jpeg: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(hopper_jpeg, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]


@pytest.fixture(scope="module")
def reference(astronaut: np.ndarray) -> np.ndarray:
    """Eileen Collins (the astronaut) is the enrolled examinee."""
    return vision.encode_reference(_png(astronaut))


@pytest.fixture(scope="module")
def recropped(astronaut: np.ndarray) -> bytes:
    crop = astronaut[20:320, 60:420].astype(np.int16)
    return _jpeg(np.clip(crop + 25, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def two_faces(astronaut: np.ndarray, hopper: np.ndarray) -> bytes:
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[40:340, 10:310] = cv2.resize(astronaut[10:310, 70:370], (300, 300))
    frame[40:340, 330:630] = cv2.resize(hopper[60:460, 70:470], (300, 300))
    return _jpeg(frame)


def test_fast_descriptor_is_dlibs_descriptor(astronaut):
    # The numpy port of the ResNet must compute the library's descriptor, not an approximation.
    import dlib
    import face_recognition_models

    models = vision._get_models()
    assert models.use_numpy
    face = models.detector(astronaut, 0)[0]
    shape = models.landmarks(astronaut, face)
    chip = dlib.get_face_chip(astronaut, shape, size=150, padding=0.25)
    net = dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())
    theirs = np.asarray(net.compute_face_descriptor(chip))
    assert np.max(np.abs(models.descriptor(chip) - theirs)) < 1e-5


def test_reference_agrees_with_face_recognition(astronaut, reference):
    baseline = face_recognition.face_encodings(astronaut, face_recognition.face_locations(astronaut, 0))
    assert len(baseline) == 1
    # Same photo; only the detector's box (found at another scale) differs a little.
    assert vision.face_distance(reference, baseline[0]) < 0.1
    assert reference.shape == (128,)


def test_another_person_is_a_mismatch(hopper_jpeg, reference):
    result = vision.check_frame(hopper_jpeg, reference)
    assert result.outcome is Outcome.MISMATCH
    assert 0.6 < result.distance < 0.85
    assert (result.threshold, result.mismatch_threshold) == (0.48, 0.63)
    assert result.face_count == 1
    assert (result.width, result.height) == (512, 600)


def test_recropped_and_brightened_copy_matches(recropped, reference):
    result = vision.check_frame(recropped, reference)
    assert result.outcome is Outcome.MATCH
    assert result.distance < 0.15
    assert result.face_count == 1
    box = result.boxes[0]
    # The astronaut's face sits in the upper middle of the crop.
    assert 60 < (box.left + box.right) / 2 < 220
    assert 30 < (box.top + box.bottom) / 2 < 200


def test_blank_frame_has_no_face(reference):
    result = vision.check_frame(_jpeg(np.full((480, 640, 3), 128, np.uint8)), reference)
    assert result.outcome is Outcome.NO_FACE
    assert result.distance is None
    assert result.face_count == 0


def test_two_faces_side_by_side(two_faces, reference):
    result = vision.check_frame(two_faces, reference)
    assert result.outcome is Outcome.MULTIPLE_FACES
    assert result.face_count == 2
    assert result.distance is None
    centres = sorted((box.left + box.right) / 2 for box in result.boxes)
    assert centres[0] < 320 < centres[1]


def test_tolerance_changes_the_decision(hopper_jpeg, recropped, reference):
    stranger = vision.check_frame(hopper_jpeg, reference).distance
    lenient = vision.check_frame(hopper_jpeg, reference, tolerance=stranger + 0.02)
    assert lenient.outcome is Outcome.MATCH
    assert lenient.threshold == pytest.approx(stranger + 0.02)

    same = vision.check_frame(recropped, reference).distance
    strict = vision.check_frame(recropped, reference, tolerance=same - 0.01)
    assert strict.outcome is Outcome.MISMATCH
    assert strict.distance == pytest.approx(same)


def test_tolerance_must_be_sensible(hopper_jpeg, reference):
    with pytest.raises(ValueError, match="tolerance"):
        vision.check_frame(hopper_jpeg, reference, tolerance=0)


def test_truncated_jpeg_is_refused(hopper_jpeg, reference):
    truncated = hopper_jpeg[: len(hopper_jpeg) * 2 // 3]
    # Named as truncated (not merely "corrupt"): OpenCV 4.x would even decode it, grey-filled.
    with pytest.raises(vision.TruncatedImage) as caught:
        vision.check_frame(truncated, reference)
    assert caught.value.reason == "truncated_image"


def test_jpeg_cut_inside_its_headers_is_refused(hopper_jpeg, reference):
    with pytest.raises(vision.TruncatedImage):
        vision.check_frame(hopper_jpeg[:100], reference)


def test_truncated_png_is_refused(astronaut, reference):
    png = _png(astronaut)
    with pytest.raises(vision.TruncatedImage):
        vision.check_frame(png[: len(png) // 2], reference)


@pytest.mark.parametrize(
    "payload",
    [b"", b"hello, this is not a picture", b"GIF89a\x01\x00\x01\x00", b"%PDF-1.7\n" + bytes(500)],
    ids=["empty", "text", "gif", "pdf"],
)
def test_non_image_bytes_are_refused(payload, reference):
    with pytest.raises(vision.NotAnImage) as caught:
        vision.check_frame(payload, reference)
    assert caught.value.reason == "not_an_image"


def test_png_with_a_garbage_body_is_refused(reference):
    header = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"not zlib at all")
        + _png_chunk(b"IEND", b"")
    )
    with pytest.raises(vision.CorruptImage) as caught:
        vision.check_frame(png, reference)
    assert caught.value.reason == "corrupt_image"


def test_decompression_bomb_png_is_refused_before_decoding(reference):
    # 40000 x 40000 grey pixels: 1.6 GB decoded, a few KB on the wire.
    width = height = 40_000
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    body = compressor.compress(bytes(width + 1) * 64) + compressor.flush()
    bomb = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")
    assert len(bomb) < 20_000
    with pytest.raises(vision.TooManyPixels) as caught:
        vision.check_frame(bomb, reference)
    assert caught.value.reason == "too_many_pixels"
    assert "40000x40000" in str(caught.value)


def test_pixel_cap_applies_to_jpeg_headers_too(hopper_jpeg, reference):
    with pytest.raises(vision.TooManyPixels):
        vision.check_frame(hopper_jpeg, reference, max_pixels=512 * 600 - 1)
    assert vision.check_frame(hopper_jpeg, reference, max_pixels=512 * 600).face_count == 1


def test_frame_over_the_size_cap_is_refused(hopper_jpeg, reference):
    with pytest.raises(vision.FrameTooLarge) as caught:
        vision.check_frame(hopper_jpeg, reference, max_bytes=len(hopper_jpeg) - 1)
    assert caught.value.reason == "frame_too_large"


def test_reference_needs_exactly_one_face(two_faces):
    with pytest.raises(vision.ReferenceRejected) as none:
        vision.encode_reference(_jpeg(np.full((480, 640, 3), 200, np.uint8)))
    assert none.value.reason == "reference_no_face"
    with pytest.raises(vision.ReferenceRejected) as several:
        vision.encode_reference(two_faces)
    assert several.value.reason == "reference_multiple_faces"


def test_reference_must_be_an_encoding(hopper_jpeg):
    with pytest.raises(vision.BadEncoding):
        vision.check_frame(hopper_jpeg, np.zeros(127))
    with pytest.raises(vision.BadEncoding):
        vision.check_frame(hopper_jpeg, np.full(128, np.nan))


def test_encoding_survives_storage(reference):
    stored = vision.encoding_to_bytes(reference)
    assert len(stored) == 1024
    assert np.array_equal(vision.encoding_from_bytes(stored), reference)
    with pytest.raises(vision.BadEncoding):
        vision.encoding_from_bytes(stored[:-8])


def test_reference_cache_loads_once_per_version(reference):
    cache = vision.ReferenceCache(maxsize=2)
    loads: list[tuple[int, int]] = []

    def loader(person: int, version: int):
        def load():
            loads.append((person, version))
            return vision.encoding_to_bytes(reference) if version == 1 else reference * 0.5

        return load

    first = cache.get(7, 1, loader(7, 1))
    assert np.array_equal(first, reference)
    assert np.array_equal(cache.get(7, 1, loader(7, 1)), reference)
    assert loads == [(7, 1)]
    # Re-enrolment bumps the version: the old encoding is not served.
    assert np.array_equal(cache.get(7, 2, loader(7, 2)), reference * 0.5)
    assert loads == [(7, 1), (7, 2)]
    # Least recently used goes first.
    cache.get(8, 1, loader(8, 1))
    cache.get(7, 1, loader(7, 1))
    assert loads[-1] == (7, 1)
    assert len(cache) == 2
    cache.discard(7)
    assert len(cache) == 1
    # Callers cannot corrupt the cached encoding in place.
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 1.0


def test_progressive_jpeg_and_trailing_bytes_are_fine_but_cuts_are_not(hopper, reference):
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(hopper[:, :, ::-1]), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    progressive = buf.tobytes()
    # Some cameras append data after the end-of-image marker.
    assert vision.check_frame(progressive + b"\x00" * 64, reference).outcome is Outcome.MISMATCH
    with pytest.raises(vision.TruncatedImage):
        vision.check_frame(progressive[: len(progressive) - 2000], reference)
