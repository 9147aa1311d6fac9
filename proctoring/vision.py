"""Face matching for proctoring: image bytes in, a decision out. No Django here.

``check_frame(frame_bytes, reference)`` decodes a JPEG/PNG snapshot, finds the
faces and, when there is exactly one, compares it with the examinee's reference
encoding. ``encode_reference(photo_bytes)`` makes that reference (128 floats);
``ReferenceCache`` keeps decoded references per (reference id, version).

How it is fast (``bench/bench_snapshot.py`` measures it against the naive
``face_recognition`` path, which costs ~180-230 ms a frame here):

- The header is parsed before anything is decoded, so a decompression bomb or
  a truncated JPEG is refused without spending memory or CPU on it.
- HOG detection runs without upsampling on a copy normalised to
  ``DETECT_WIDTH`` pixels wide (the baseline upsamples the full frame once,
  ~4x the pixels, ~100 ms). The smallest face found is ~80 px at that width,
  i.e. about a sixth of the frame width: a person in front of their own camera
  is far bigger. The corpus of the bench checks that no face the baseline
  finds is lost.
- Landmarks and the descriptor are computed only when exactly one face is
  found: with none or several the decision does not need them.
- The descriptor is dlib's ResNet (``dlib_face_recognition_resnet_model_v1``,
  the weights face_recognition ships) evaluated by numpy/OpenBLAS as im2col +
  GEMM instead of by dlib-bin's own CPU code: same weights, same arithmetic
  up to float rounding (|delta| < 1e-6 per component), ~17 ms instead of
  ~75-110 ms. It is checked against dlib once per process and falls back to
  dlib's implementation if they ever disagree.

Choosing the thresholds (the distances that decide "the same person"):

- The distance is Euclidean between 128-d descriptors. The model was trained
  so that 0.6 separates people at ~99.4 % accuracy on LFW (adult, mostly
  Western faces, good light). That single tolerance is not safe here: on the
  project's corpus (``tests/proctoring/faces``, 27 people, real photos, and
  their edits) the closest two different people are at 0.517 (two actors),
  0.18 % of the impostor pairs lie under 0.6, and genuine pairs (different
  photos of one person) reach 0.62 (0.70 once over-exposed).
- So the decision is graded, with two thresholds (``decide``): ``match`` at or
  under ``DEFAULT_MATCH_THRESHOLD`` (0.48: the closest impostor pair of the
  corpus minus a 0.03 margin, so no false accept on it), ``mismatch`` over
  ``DEFAULT_MISMATCH_THRESHOLD`` (0.63: the 99th percentile of the genuine
  pairs, rounded up), ``uncertain`` in between: neither a pass nor a failure;
  the client is asked for another frame soon, and a person reviews the
  attempt. An uncertain frame never brings an automatic submit closer.
- Lowering the match threshold cuts false accepts (an impostor sitting the
  exam passes) and sends more genuine frames to uncertain (another frame, a
  review); raising the mismatch threshold cuts false rejects (the real
  examinee flagged) and leaves more impostor frames uncertain (reviewed, not
  accepted). A false accept costs the exam's validity; an uncertain frame a
  proctor's minute.
- The corpus is small and of public figures, mostly Western adults, in good
  light; the model is known to be less accurate on East Asian faces, where
  0.4-0.5 is often used. Re-calibrate on your own population and cameras:
  ``bench/eval_faces.py`` prints both distributions and the operating point
  (``docs/PROCTORING.md`` describes the method; add your own labelled photos to
  the corpus). Decisions carry both thresholds used, so old results stay
  interpretable after a change.
"""

from __future__ import annotations

import enum
import re
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from proctoring import quality

# The two face-distance thresholds (see "Choosing the thresholds" above and
# bench/eval_faces.py): match at or under the lower, mismatch over the upper,
# uncertain in between.
DEFAULT_MATCH_THRESHOLD = 0.48
DEFAULT_MISMATCH_THRESHOLD = 0.63
# face_recognition's single tolerance, the decision of old: only for comparing with the naive path
# (bench/bench_snapshot.py's agreement); never a decision of ours.
DEFAULT_TOLERANCE = 0.6
# Snapshots are ~30-80 KB; an enrolment photo straight off a phone a few MB.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
# 24 MP covers phone cameras; a decoded 24 MP frame is ~72 MB of RGB.
DEFAULT_MAX_PIXELS = 24_000_000
# Frames are normalised to this width for detection (see the module docstring).
DETECT_WIDTH = 480
# A snapshot with no face at DETECT_WIDTH is looked at once more at this width before it is
# called no_face: HOG's window is fixed (80 px), so a face that fills a close-up frame is
# found when the frame is made smaller. Of the face corpus's images and their ±10° turns (1,896), 13
# have no face at 480 px; 320 px finds 7 of them at ~10 ms (640: 5 at ~33 ms; 480 with upsampling:
# 7 at ~75 ms). The cost in the snapshot bench: docs/PERFORMANCE.md.
SNAPSHOT_RETRY_WIDTH = 320
# References come from posed photos that may be scans or large phone pictures:
# detect them a little larger, to be sure of the one face.
REFERENCE_DETECT_WIDTH = 640
# A second face at least half the main face's side makes a photo "several faces" (two people side by side,
# one nearer the camera: 0.59 in test_vision's pair);
# a smaller one (a poster, someone far behind) is ignored where only the main face counts.
COMPARABLE_FACE_RATIO = 0.5
ENCODING_SIZE = 128


class Outcome(enum.StrEnum):
    MATCH = "match"
    # Between the two thresholds: neither a pass nor a failure. Ask for another frame soon; a person
    # reviews attempts with such frames. Never counted toward an automatic submit.
    UNCERTAIN = "uncertain"
    MISMATCH = "mismatch"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"


class VisionError(ValueError):
    """Refused input. ``reason`` is a stable code for services to translate (a subclass names its own
    in its header: ``class NotAnImage(VisionError, reason="not_an_image")``)."""

    reason = "vision_error"

    def __init_subclass__(cls, *, reason: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if reason is not None:
            cls.reason = reason


class FrameTooLarge(VisionError, reason="frame_too_large"): ...


class TooManyPixels(VisionError, reason="too_many_pixels"): ...


class NotAnImage(VisionError, reason="not_an_image"): ...


class TruncatedImage(VisionError, reason="truncated_image"): ...


class CorruptImage(VisionError, reason="corrupt_image"): ...


class ReferenceRejected(VisionError):
    """The reference photo does not show exactly one face."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class BadEncoding(VisionError, reason="bad_encoding"): ...


@dataclass(frozen=True, slots=True)
class Timings:
    decode_ms: float
    detect_ms: float
    encode_ms: float
    total_ms: float


@dataclass(frozen=True, slots=True)
class Box:
    """A face box in the pixels of the decoded frame."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True, slots=True)
class Detection:
    """How faces are looked for in one image.

    ``widths`` are tried in order until one finds a face (HOG at a single
    scale misses faces by chance at one width that it finds at another);
    then, if still none, ``upsample`` runs dlib's upsampling once at the
    first width (4x the pixels: the slow last resort). With ``main_face``
    the most central, largest face is kept alone unless another face is
    comparable in size (``COMPARABLE_FACE_RATIO``): a small face far behind
    the person does not make the photo "several faces", two people do.
    """

    widths: tuple[int, ...]
    upsample: bool = False
    main_face: bool = False


# Snapshots: the fast width, then one retry (about 10 ms on a 640x480 frame, paid by no-face frames only).
SNAPSHOT_DETECTION = Detection(widths=(DETECT_WIDTH, SNAPSHOT_RETRY_WIDTH))
# Enrolment and the identity check before the exam: a person posing, worth a few more tries. Each starts
# at the width it always used (so a photo that worked still gives the same face), and tries the others
# only when that finds nothing.
REFERENCE_DETECTION = Detection(widths=(REFERENCE_DETECT_WIDTH, 480, 800, 320), upsample=True, main_face=True)
IDENTITY_DETECTION = Detection(widths=(DETECT_WIDTH, REFERENCE_DETECT_WIDTH, 800, 320), upsample=True, main_face=True)


@dataclass(frozen=True, slots=True)
class FrameCheck:
    outcome: Outcome
    # None when no descriptor was computed (no face, several faces).
    distance: float | None
    # At or under ``threshold``: match; over ``mismatch_threshold``: mismatch; between: uncertain.
    threshold: float
    mismatch_threshold: float
    face_count: int
    boxes: tuple[Box, ...]
    width: int
    height: int
    timings: Timings

    def scores(self) -> dict[str, float | None]:
        """What a stored check keeps of the comparison: the distance and the two thresholds it was judged by."""
        return {"distance": self.distance, "threshold": self.threshold, "mismatch_threshold": self.mismatch_threshold}


# ---------------------------------------------------------------- decoding

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"IEND\xaeB`\x82"
# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG), CC (DAC) share the range but do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise NotAnImage(f"expected bytes, got {type(data).__name__}")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the SOF segment; raises on a missing end of image."""
    n = len(data)
    i = 2
    size: tuple[int, int] | None = None
    while True:
        if i >= n:
            raise TruncatedImage("JPEG ends inside its headers")
        if data[i] != 0xFF:
            raise CorruptImage(f"JPEG: expected a marker at byte {i}")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise TruncatedImage("JPEG ends inside its headers")
        marker = data[i]
        i += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers, no length
            continue
        if marker == 0xD9:
            raise CorruptImage("JPEG: end of image before any scan")
        if i + 2 > n:
            raise TruncatedImage("JPEG ends inside a segment header")
        (length,) = struct.unpack_from(">H", data, i)
        if length < 2:
            raise CorruptImage(f"JPEG: segment length {length} at byte {i}")
        if marker in _JPEG_SOF:
            if i + 7 > n:
                raise TruncatedImage("JPEG ends inside its frame header")
            height, width = struct.unpack_from(">HH", data, i + 3)
            size = (width, height)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            if size is None:
                raise CorruptImage("JPEG: scan before the frame header")
            # FF D9 cannot occur inside entropy-coded data (FF is stuffed as FF 00), so
            # its absence after the first scan means the file was cut. libjpeg would
            # "decode" such a file anyway and fill the rest with grey.
            if data.find(b"\xff\xd9", i + length) == -1:
                raise TruncatedImage("JPEG has no end-of-image marker (truncated)")
            return size
        i += length


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 33:
        raise TruncatedImage("PNG ends inside its header")
    if data[12:16] != b"IHDR":
        raise CorruptImage("PNG: first chunk is not IHDR")
    width, height = struct.unpack_from(">II", data, 16)
    if data.rfind(_PNG_IEND) == -1:
        raise TruncatedImage("PNG has no IEND chunk (truncated)")
    return width, height


def image_size(data: bytes) -> tuple[str, int, int]:
    """Format and dimensions read from the header alone, without decoding."""
    if data[:3] == b"\xff\xd8\xff":
        fmt, (width, height) = "jpeg", _jpeg_size(data)
    elif data[:8] == _PNG_SIGNATURE:
        fmt, (width, height) = "png", _png_size(data)
    else:
        raise NotAnImage("not a JPEG or PNG (unrecognised signature)")
    if width <= 0 or height <= 0:
        raise CorruptImage(f"{fmt}: zero dimension {width}x{height}")
    return fmt, width, height


def decode_image(data: Any, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG bytes to a BGR uint8 array, refusing bombs and damaged files.

    EXIF orientation is applied (OpenCV's default), so a portrait phone photo
    comes out upright.
    """
    data = _as_bytes(data)
    if not data:
        raise NotAnImage("empty input")
    if len(data) > max_bytes:
        raise FrameTooLarge(f"{len(data)} bytes is over the cap of {max_bytes}")
    fmt, width, height = image_size(data)
    if width * height > max_pixels:
        raise TooManyPixels(f"{fmt} declares {width}x{height}, over the cap of {max_pixels} pixels")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise CorruptImage(f"{fmt} could not be decoded")
    if {image.shape[0], image.shape[1]} != {width, height}:
        raise CorruptImage(f"{fmt} decoded to {image.shape[1]}x{image.shape[0]}, header said {width}x{height}")
    return image


def check_snapshot_image(data: Any, *, max_bytes: int, max_side: int) -> tuple[str, int, int]:
    """``(format, width, height)`` of a frame that fully decodes as a JPEG/PNG of at most ``max_side`` a side.

    No face work: a cheap gate before a frame is stored (a 640x480 JPEG decodes in about 1 ms).
    """
    data = _as_bytes(data)
    if not data:
        raise NotAnImage("empty input")
    fmt, width, height = image_size(data)
    if width > max_side or height > max_side:
        raise TooManyPixels(f"{fmt} is {width}x{height}, over {max_side} pixels a side")
    decode_image(data, max_bytes=max_bytes, max_pixels=max_side * max_side)
    return fmt, width, height


# ---------------------------------------------------------------- models

_MEAN_RGB = np.array([122.782, 117.001, 104.298], np.float32)  # input_rgb_image_sized<150>
_CHIP_SIZE = 150
_CHIP_PADDING = 0.25
# Blocks per level of dlib's face ResNet (dnn_face_recognition_ex.cpp), bottom up:
# (residual blocks, first one downsamples).
_RESNET_LEVELS = ((3, False), (4, True), (3, True), (3, True), (1, True))
_LAYER_RE = re.compile(rb"\x01([\x04-\x0a])(con_4|affine_|max_pool_2|avg_pool_2|fc_2|add_prev_)")


class _Reader:
    """dlib's serialisation: ints are a size/sign byte then little-endian bytes."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def int(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if head & 0x80 else value

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise RuntimeError("unexpected dlib tensor version")
        count = 1
        for _ in range(4):
            count *= self.int()
        values = np.frombuffer(self.data, "<f4", count, self.pos)
        self.pos += 4 * count
        return values


@dataclass(frozen=True, slots=True)
class _Conv:
    weights: np.ndarray  # (k*k*in, out)
    bias: np.ndarray
    size: int
    stride: int
    padding: int


def _load_resnet(path: str) -> tuple[list[_Conv], np.ndarray]:
    """Convolutions (with their affine layer folded in) in forward order, and the 256x128 projection.

    Reads the weights out of dlib's own serialisation of the network: each
    layer starts with its name ("con_4", "affine_", ...), tensors are
    version 2 (four dims, then raw little-endian float32).
    """
    with open(path, "rb") as handle:
        data = handle.read()
    convs: list[_Conv] = []
    pending: tuple[np.ndarray, np.ndarray, int, int, int] | None = None
    fc: np.ndarray | None = None
    kinds: list[str] = []
    for found in _LAYER_RE.finditer(data):
        name = found.group(2).decode()
        if found.group(1)[0] != len(name):
            continue
        kinds.append(name)
        reader = _Reader(data, found.end())
        if name == "con_4":
            params = reader.tensor()
            filters, rows, cols, stride_y, stride_x, pad_y, pad_x = (reader.int() for _ in range(7))
            if rows != cols or stride_y != stride_x or pad_y != pad_x:
                raise RuntimeError("unexpected convolution shape")
            channels = (params.size - filters) // (filters * rows * cols)
            weights = params[: filters * channels * rows * cols].reshape(filters, channels, rows, cols)
            # Rows ordered (y, x, channel) to match the im2col patches of an HWC image.
            weights = weights.transpose(2, 3, 1, 0).reshape(rows * cols * channels, filters)
            pending = (weights, params[filters * channels * rows * cols :], rows, stride_y, pad_y)
        elif name == "affine_":
            if pending is None:
                raise RuntimeError("affine layer without a convolution")
            params = reader.tensor()
            gamma, beta = params[: params.size // 2], params[params.size // 2 :]
            weights, bias, size, stride, padding = pending
            # The affine layer is a frozen batch norm: fold it into the convolution.
            convs.append(
                _Conv(
                    weights=np.ascontiguousarray(weights * gamma, dtype=np.float32),
                    bias=(bias * gamma + beta).astype(np.float32),
                    size=size,
                    stride=stride,
                    padding=padding,
                )
            )
            pending = None
        elif name == "fc_2":
            outputs, inputs = reader.int(), reader.int()
            fc = reader.tensor().reshape(inputs, outputs).copy()
    expected = ["con_4", "affine_", "max_pool_2"]
    for blocks, down in _RESNET_LEVELS:
        for index in range(blocks):
            expected += ["con_4", "affine_"] * 2 + (["avg_pool_2"] if down and index == 0 else []) + ["add_prev_"]
    expected += ["avg_pool_2", "fc_2"]
    if kinds != expected or fc is None:
        raise RuntimeError("dlib face model does not have the expected ResNet layout")
    return convs, fc


def _conv(x: np.ndarray, conv: _Conv) -> np.ndarray:
    if conv.padding:
        p = conv.padding
        x = np.pad(x, ((p, p), (p, p), (0, 0)))
    height, width, channels = x.shape
    k, s = conv.size, conv.stride
    out_h, out_w = (height - k) // s + 1, (width - k) // s + 1
    windows = sliding_window_view(x, (k, k), axis=(0, 1))[::s, ::s][:out_h, :out_w]  # (oh, ow, c, k, k)
    columns = np.ascontiguousarray(windows.transpose(0, 1, 3, 4, 2)).reshape(out_h * out_w, k * k * channels)
    return (columns @ conv.weights + conv.bias).reshape(out_h, out_w, -1)


def _pool(x: np.ndarray, size: int, op: Callable[..., np.ndarray]) -> np.ndarray:
    height, width, _ = x.shape
    out_h, out_w = (height - size) // 2 + 1, (width - size) // 2 + 1
    windows = sliding_window_view(x, (size, size), axis=(0, 1))[::2, ::2][:out_h, :out_w]
    return op(windows, axis=(3, 4))


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add_prev: shapes may differ; the sum is top-left aligned, zero-filled."""
    if a.shape == b.shape:
        return a + b
    shape = tuple(max(p, q) for p, q in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape, np.float32)
    out[: a.shape[0], : a.shape[1], : a.shape[2]] += a
    out[: b.shape[0], : b.shape[1], : b.shape[2]] += b
    return out


class _Models:
    def __init__(self) -> None:
        import dlib
        import face_recognition_models
        from threadpoolctl import ThreadpoolController

        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.landmarks = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
        self._landmarks68_path = face_recognition_models.pose_predictor_model_location()
        self._landmarks68: Any = None
        self._landmarks68_lock = threading.Lock()
        self._dlib_net = dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())
        self._convs, self._fc = _load_resnet(face_recognition_models.face_recognition_model_location())
        # These GEMMs are small (at most ~5000x300 by 300x32); OpenBLAS threads cost more than they
        # give (measured 53 ms vs 17 ms a descriptor), and each worker process should own one core.
        self._blas = ThreadpoolController()
        self.use_numpy = self._agrees_with_dlib()

    def _agrees_with_dlib(self) -> bool:
        chip = np.random.default_rng(7).integers(0, 256, (_CHIP_SIZE, _CHIP_SIZE, 3), dtype=np.uint8)
        ours = self._numpy_descriptor(chip)
        theirs = np.asarray(self._dlib_net.compute_face_descriptor(chip), dtype=np.float64)
        return bool(np.max(np.abs(ours - theirs)) < 1e-4)

    def _numpy_descriptor(self, chip_rgb: np.ndarray) -> np.ndarray:
        convs = iter(self._convs)

        def conv_affine(x: np.ndarray) -> np.ndarray:
            return _conv(x, next(convs))

        with self._blas.limit(limits=1, user_api="blas"):
            x = (chip_rgb.astype(np.float32) - _MEAN_RGB) * np.float32(1 / 256)
            x = np.maximum(conv_affine(x), 0)
            x = _pool(x, 3, np.max)
            for blocks, down in _RESNET_LEVELS:
                for index in range(blocks):
                    y = conv_affine(np.maximum(conv_affine(x), 0))
                    skip = _pool(x, 2, np.mean) if down and index == 0 else x
                    x = np.maximum(_add(y, skip), 0)
            return (x.mean(axis=(0, 1)) @ self._fc).astype(np.float64)

    def landmarks68(self) -> Any:
        """dlib's 68-point predictor (~100 MB), loaded on first use: only enrolment and liveness need it."""
        if self._landmarks68 is None:
            with self._landmarks68_lock:
                if self._landmarks68 is None:
                    self._landmarks68 = self.dlib.shape_predictor(self._landmarks68_path)
        return self._landmarks68

    def descriptor(self, chip_rgb: np.ndarray) -> np.ndarray:
        if self.use_numpy:
            return self._numpy_descriptor(chip_rgb)
        return np.asarray(self._dlib_net.compute_face_descriptor(chip_rgb), dtype=np.float64)


_models: _Models | None = None
_models_lock = threading.Lock()


def _get_models() -> _Models:
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                _models = _Models()
    return _models


def warm_up() -> None:
    """Load the models now (~0.5 s) rather than on the first frame."""
    _get_models()


# ---------------------------------------------------------------- pipeline


def _detect(models: _Models, image: np.ndarray, width: int, upsample: int = 0) -> list[Any]:
    """Face rectangles in full-resolution coordinates."""
    height, full_width = image.shape[:2]
    scale = width / full_width
    if scale == 1:
        small = image
    else:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        small = cv2.resize(image, (width, max(1, round(height * scale))), interpolation=interpolation)
    # HOG takes the strongest gradient over the channels: BGR or RGB give the same boxes.
    found = models.detector(small, upsample)
    rect = models.dlib.rectangle
    return [
        rect(round(r.left() / scale), round(r.top() / scale), round(r.right() / scale), round(r.bottom() / scale))
        for r in found
    ]


def _main_faces(faces: list[Any], width: int, height: int) -> list[Any]:
    """The main face alone, or every face comparable in size to it (then the photo shows several people).

    The main face is the largest, weighed by how central it is: its side times
    1 - 0.5 x (its centre's distance from the image centre / half the diagonal).
    """
    if len(faces) < 2:
        return faces
    cx, cy, half_diagonal = width / 2, height / 2, max(1.0, float(np.hypot(width, height)) / 2)

    def score(face: Any) -> float:
        off = np.hypot((face.left() + face.right()) / 2 - cx, (face.top() + face.bottom()) / 2 - cy)
        return face.width() * (1 - 0.5 * min(1.0, off / half_diagonal))

    main = max(faces, key=score)
    comparable = [f for f in faces if f is main or f.width() >= COMPARABLE_FACE_RATIO * main.width()]
    return comparable if len(comparable) > 1 else [main]


def _find_faces(models: _Models, image: np.ndarray, detection: Detection) -> list[Any]:
    """Face rectangles (full-resolution coordinates) as ``detection`` says to look for them."""
    faces: list[Any] = []
    for width in detection.widths:
        faces = _detect(models, image, width)
        if faces:
            break
    if not faces and detection.upsample:
        faces = _detect(models, image, detection.widths[0], upsample=1)
    if detection.main_face:
        faces = _main_faces(faces, image.shape[1], image.shape[0])
    return faces


def _encode_face(models: _Models, image_bgr: np.ndarray, face: Any) -> np.ndarray:
    shape = models.landmarks(image_bgr, face)  # uses mean intensity: channel order does not matter
    chip = models.dlib.get_face_chip(image_bgr, shape, size=_CHIP_SIZE, padding=_CHIP_PADDING)
    return models.descriptor(np.ascontiguousarray(chip[:, :, ::-1]))


def _box(rect: Any) -> Box:
    return Box(left=rect.left(), top=rect.top(), right=rect.right(), bottom=rect.bottom())


def face_landmarks68(image: np.ndarray, box: Box) -> np.ndarray:
    """The 68 landmarks (``proctoring.landmarks`` numbering) of the face in ``box``, as a (68, 2) float array."""
    models = _get_models()
    rect = models.dlib.rectangle(box.left, box.top, box.right, box.bottom)
    shape = models.landmarks68()(image, rect)
    return np.array([(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)], dtype=np.float64)


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def check_thresholds(match_threshold: float, mismatch_threshold: float) -> None:
    """Raise ``ValueError`` unless 0 < match <= mismatch < 2 (the range of distances between unit-ish descriptors)."""
    if not 0 < match_threshold <= mismatch_threshold < 2:
        raise ValueError(
            f"thresholds (match {match_threshold}, mismatch {mismatch_threshold}): "
            "need 0 < match <= mismatch < 2 (a tolerance is one threshold used for both)"
        )


def decide(distance: float, match_threshold: float, mismatch_threshold: float) -> Outcome:
    """The graded decision for one face distance: match, uncertain or mismatch.

    ``match`` at or under ``match_threshold`` (as face_recognition's ``compare_faces``), ``mismatch``
    over ``mismatch_threshold``, ``uncertain`` between. Equal thresholds give the old single-tolerance
    decision (nothing is uncertain).
    """
    if distance <= match_threshold:
        return Outcome.MATCH
    if distance > mismatch_threshold:
        return Outcome.MISMATCH
    return Outcome.UNCERTAIN


def check_frame(
    frame: Any,
    reference: np.ndarray,
    *,
    match_threshold: float = DEFAULT_MATCH_THRESHOLD,
    mismatch_threshold: float = DEFAULT_MISMATCH_THRESHOLD,
    tolerance: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    detect_width: int = DETECT_WIDTH,
    detection: Detection | None = None,
) -> FrameCheck:
    """Compare the one face in ``frame`` (JPEG/PNG bytes) with ``reference``.

    The outcome is ``decide(distance, match_threshold, mismatch_threshold)``;
    ``tolerance`` (the single threshold of old) sets both thresholds. Raises a
    ``VisionError`` subclass for refused input.
    """
    if tolerance is not None:
        match_threshold = mismatch_threshold = tolerance
    check_thresholds(match_threshold, mismatch_threshold)
    reference = validate_encoding(reference)
    started = time.perf_counter()
    image = decode_image(frame, max_bytes=max_bytes, max_pixels=max_pixels)
    decoded = time.perf_counter()
    models = _get_models()
    faces = _find_faces(models, image, detection or Detection(widths=(detect_width, SNAPSHOT_RETRY_WIDTH)))
    detected = time.perf_counter()
    distance = None
    if len(faces) == 1:
        distance = face_distance(_encode_face(models, image, faces[0]), reference)
        outcome = decide(distance, match_threshold, mismatch_threshold)
    elif faces:
        outcome = Outcome.MULTIPLE_FACES
    else:
        outcome = Outcome.NO_FACE
    finished = time.perf_counter()
    return FrameCheck(
        outcome=outcome,
        distance=distance,
        threshold=match_threshold,
        mismatch_threshold=mismatch_threshold,
        face_count=len(faces),
        boxes=tuple(_box(face) for face in faces),
        width=image.shape[1],
        height=image.shape[0],
        timings=Timings(
            decode_ms=(decoded - started) * 1000,
            detect_ms=(detected - decoded) * 1000,
            encode_ms=(finished - detected) * 1000,
            total_ms=(finished - started) * 1000,
        ),
    )


def encode_reference(
    photo: Any,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """The 128-float encoding of the main face in a reference photo.

    Faces are looked for as ``REFERENCE_DETECTION`` says (several widths, then
    upsampling; a small face behind the person is ignored). Raises
    ``ReferenceRejected`` with reason ``reference_no_face``,
    ``reference_multiple_faces`` (two comparable faces), or the reason of
    ``proctoring.quality.assess`` when the face would match badly (too small,
    too dark or bright, blurred, eyes closed, turned away).
    """
    image = decode_image(photo, max_bytes=max_bytes, max_pixels=max_pixels)
    models = _get_models()
    faces = _find_faces(models, image, REFERENCE_DETECTION)
    if not faces:
        raise ReferenceRejected("no face found in the reference photo", reason="reference_no_face")
    if len(faces) > 1:
        raise ReferenceRejected(f"{len(faces)} faces found in the reference photo", reason="reference_multiple_faces")
    box = _box(faces[0])
    problem = quality.assess(image, (box.left, box.top, box.right, box.bottom), face_landmarks68(image, box))
    if problem:
        raise ReferenceRejected(f"reference photo refused: {problem}", reason=problem)
    return _encode_face(models, image, faces[0])


def validate_encoding(encoding: Any) -> np.ndarray:
    array = np.asarray(encoding, dtype=np.float64)
    if array.shape != (ENCODING_SIZE,) or not np.all(np.isfinite(array)):
        raise BadEncoding(f"a reference encoding is {ENCODING_SIZE} finite floats, got shape {array.shape}")
    return array


def encoding_to_bytes(encoding: np.ndarray) -> bytes:
    """1024 bytes (128 little-endian float64) for a BinaryField."""
    return validate_encoding(encoding).astype("<f8").tobytes()


def encoding_from_bytes(data: bytes) -> np.ndarray:
    if len(data) != ENCODING_SIZE * 8:
        raise BadEncoding(f"a stored encoding is {ENCODING_SIZE * 8} bytes, got {len(data)}")
    return validate_encoding(np.frombuffer(data, "<f8"))


class ReferenceCache:
    """A small thread-safe LRU of reference encodings keyed by (reference id, version).

    The caller bumps the version whenever the reference changes (re-enrolment,
    consent withdrawn), so a stale entry is never returned; ``discard`` drops
    a person's entries at once. ``load`` is called on a miss and returns the
    encoding: an array (e.g. ``encode_reference(photo)``) or the bytes stored
    from ``encoding_to_bytes``.
    """

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[Any, Any], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, reference_id: Any, version: Any, load: Callable[[], np.ndarray | bytes]) -> np.ndarray:
        key = (reference_id, version)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        # Loading (a database read, maybe an encode) happens outside the lock.
        loaded = load()
        encoding = encoding_from_bytes(loaded) if isinstance(loaded, bytes | bytearray) else validate_encoding(loaded)
        encoding.setflags(write=False)
        with self._lock:
            self._entries[key] = encoding
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return encoding

    def discard(self, reference_id: Any) -> None:
        with self._lock:
            for key in [key for key in self._entries if key[0] == reference_id]:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


reference_cache = ReferenceCache()


# ---------------------------------------------------------------- helpers for action liveness (proctoring.liveness)


def face_boxes(image: np.ndarray, width: int = DETECT_WIDTH) -> list[Box]:
    """The faces of a decoded frame, found as ``check_frame`` finds them."""
    return [_box(face) for face in _detect(_get_models(), image, width)]


def face_descriptor(image: np.ndarray, box: Box) -> np.ndarray:
    """The 128-float descriptor of the face in ``box`` (as ``check_frame`` computes it)."""
    models = _get_models()
    return _encode_face(models, image, models.dlib.rectangle(box.left, box.top, box.right, box.bottom))
