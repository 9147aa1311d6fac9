"""Y4M (YUV4MPEG2) files for Chromium's fake camera.

``chromium --use-fake-device-for-media-stream
--use-file-for-fake-video-capture=face.y4m`` makes ``getUserMedia`` stream the
frames of the file, looping. Browser tests use it to put a known face in
front of the "camera". Chromium reads 4:2:0 only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np


def fit_frame(image_bgr: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    """Scale ``image_bgr`` to fit ``width`` x ``height`` without distortion, centred on black."""
    if width % 2 or height % 2:
        raise ValueError("4:2:0 needs even dimensions")
    h, w = image_bgr.shape[:2]
    scale = min(width / w, height / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas


def write_y4m(path: str | os.PathLike[str], frames_bgr: Iterable[np.ndarray], *, fps: int = 10) -> Path:
    """Write BGR frames (all the same even size) as a 4:2:0 Y4M file."""
    path = Path(path)
    count = 0
    size: tuple[int, int] | None = None
    try:
        with path.open("wb") as out:
            for frame in frames_bgr:
                if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                    raise ValueError("frames must be HxWx3 uint8 BGR arrays")
                h, w = frame.shape[:2]
                if size is None:
                    if w % 2 or h % 2:
                        raise ValueError("4:2:0 needs even dimensions")
                    size = (w, h)
                    out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
                elif (w, h) != size:
                    raise ValueError(f"frame {count} is {w}x{h}, the first was {size[0]}x{size[1]}")
                out.write(b"FRAME\n")
                out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
                count += 1
    except BaseException:
        # No half-written file for Chromium to loop over.
        path.unlink(missing_ok=True)
        raise
    if count == 0:
        path.unlink()
        raise ValueError("no frames")
    return path


def read_y4m(path: str | os.PathLike[str]) -> tuple[dict[str, str], list[np.ndarray]]:
    """Header fields (``W``, ``H``, ``F``, ``C``, ...) and the frames as BGR arrays."""
    data = Path(path).read_bytes()
    header_end = data.index(b"\n")
    tokens = data[:header_end].decode("ascii").split()
    if not tokens or tokens[0] != "YUV4MPEG2":
        raise ValueError("not a YUV4MPEG2 file")
    fields = {token[0]: token[1:] for token in tokens[1:]}
    if not fields.get("C", "420").startswith("420"):
        raise ValueError(f"only 4:2:0 is supported, got C{fields['C']}")
    width, height = int(fields["W"]), int(fields["H"])
    frame_size = width * height * 3 // 2
    frames = []
    pos = header_end + 1
    while pos < len(data):
        line_end = data.index(b"\n", pos)
        if not data[pos:line_end].startswith(b"FRAME"):
            raise ValueError(f"expected FRAME at byte {pos}")
        start = line_end + 1
        plane = np.frombuffer(data, np.uint8, frame_size, start).reshape(height * 3 // 2, width)
        frames.append(cv2.cvtColor(plane, cv2.COLOR_YUV2BGR_I420))
        pos = start + frame_size
    return fields, frames
