"""Rotating sign-in and sign-out codes: an HMAC of the class's secret, the kind and a 30-second window.

A code reads ``<kind>-<window>-<mac>`` (``in-58812345-3fa9c0e1d2b4a6f8``): it says
its own kind and window, so a photo of it stops working soon after and a code
of another class or a made-up one is told apart from an old one:

* the current window is accepted, and the previous one for ``GRACE`` seconds
  after it ended (the learner scanned just before the QR changed); anything
  older is ``CodeExpired``;
* a code whose MAC does not match this class, kind and window (forged, another
  class's, a future window) is ``CodeInvalid``.

``Code.expires_at`` is the moment the code stops being accepted (end of its
window plus the grace); ``refresh_at`` is when the trainer's screen should show
the next one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.utils import timezone
from django.utils.translation import gettext as _

from classroom.models import TrainingClass
from classroom.services.errors import CodeExpired, CodeInvalid

CODE_PERIOD = 30  # seconds
GRACE = 10  # seconds the previous window's code is still accepted
KINDS = ("in", "out")
_CODE_RE = re.compile(r"^(in|out)-(\d{1,12})-([0-9a-f]{16})$")


@dataclass(frozen=True)
class Code:
    code: str
    kind: str
    expires_at: dt.datetime
    refresh_at: dt.datetime | None = None


def _window(now: dt.datetime) -> int:
    return int(now.timestamp()) // CODE_PERIOD


def _window_end(window: int) -> dt.datetime:
    return dt.datetime.fromtimestamp((window + 1) * CODE_PERIOD, tz=dt.UTC)


def _mac(training_class: TrainingClass, kind: str, window: int) -> str:
    message = f"{training_class.pk}:{kind}:{window}".encode()
    return hmac.new(training_class.code_secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def class_code(training_class: TrainingClass, kind: str, *, now: dt.datetime | None = None) -> Code:
    """The code of ``kind`` ("in" or "out") for the current 30-second window."""
    if kind not in KINDS:
        raise ValueError(f"unknown code kind {kind!r}")
    window = _window(now or timezone.now())
    end = _window_end(window)
    return Code(
        code=f"{kind}-{window}-{_mac(training_class, kind, window)}",
        kind=kind,
        expires_at=end + dt.timedelta(seconds=GRACE),
        refresh_at=end,
    )


def code_read(training_class: TrainingClass, code: str, *, now: dt.datetime | None = None) -> str:
    """The kind of a code of this class that is still accepted; ``CodeExpired`` / ``CodeInvalid`` otherwise."""
    match = _CODE_RE.match((code or "").strip().lower())
    if match is None:
        raise CodeInvalid(_("This is not a sign-in code of this class. Scan the code the trainer shows."))
    kind, window, mac = match.group(1), int(match.group(2)), match.group(3)
    if not hmac.compare_digest(mac, _mac(training_class, kind, window)):
        raise CodeInvalid(_("This is not a sign-in code of this class. Scan the code the trainer shows."))
    now = now or timezone.now()
    current = _window(now)
    if window > current:
        raise CodeInvalid(_("This is not a sign-in code of this class. Scan the code the trainer shows."))
    if window == current or (window == current - 1 and now < _window_end(window) + dt.timedelta(seconds=GRACE)):
        return kind
    raise CodeExpired(_("This code has expired: the code changes every 30 seconds. Scan the code on the screen now."))


def sign_path(training_class: TrainingClass, code: str) -> str:
    """The web path a QR code encodes: the sign page of the class with the code."""
    return f"/classes/{training_class.pk}/sign/?code={quote(code)}"
