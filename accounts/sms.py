"""Text messages (短信), through one pluggable backend: ``settings.SMS_BACKEND``.

Chinese SMS gateways (Aliyun, Tencent Cloud and the operators' own) send
*approved templates* with a signature and named parameters, never free text.
So a backend receives the template's name and its parameters and maps them to
the provider's template id; the wording lives with the provider and, for the
console backend, in :data:`TEMPLATES` below.

Writing an adapter for a real provider (see docs/SMS.md):

1. subclass :class:`SmsBackend` and implement ``send``; raise
   :class:`SmsNotSent` when the provider refuses or cannot be reached (the
   caller shows a clear error and keeps nothing half-done);
2. point ``SMS_BACKEND`` at it (an environment variable, like every setting).

Backends here:

- :class:`ConsoleBackend` (the demo under ``DEBUG``): prints the text to the
  server's standard output, so the person running ``make run`` can read the
  code. Never configure it in production: the console is not a phone.
- :class:`LocmemBackend`: keeps messages in :data:`outbox` (tests, like
  Django's locmem mail backend).
- :class:`DisabledBackend` (the default without ``DEBUG``): refuses every
  message, so an unconfigured deployment says so instead of pretending.

Codes are secrets: no backend here writes them to a log.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The messages this platform sends: template name → the wording the console
# backend prints (a real provider holds its own approved copy of each).
TEMPLATES = {
    "verification_code": gettext_lazy(
        "[safetrain] Your verification code is %(code)s, valid for %(minutes)s minutes. "
        "It is for %(purpose)s; do not tell it to anyone."
    ),
}


class SmsNotSent(Exception):
    """The backend could not send the message (not configured, refused, unreachable)."""


@dataclass(frozen=True)
class Message:
    phone: str
    template: str
    params: dict[str, str]

    @property
    def text(self) -> str:
        return str(TEMPLATES[self.template]) % self.params


class SmsBackend(ABC):
    """Sends one templated message to a mainland mobile number (11 digits)."""

    @abstractmethod
    def send(self, *, phone: str, template: str, params: dict[str, str]) -> None:
        """Send, or raise :class:`SmsNotSent`; never log ``params`` (they hold the code)."""


class ConsoleBackend(SmsBackend):
    def send(self, *, phone: str, template: str, params: dict[str, str]) -> None:
        message = Message(phone, template, params)
        sys.stdout.write(_("SMS to %(phone)s: %(text)s") % {"phone": phone, "text": message.text} + "\n")
        sys.stdout.flush()


outbox: list[Message] = []


class LocmemBackend(SmsBackend):
    def send(self, *, phone: str, template: str, params: dict[str, str]) -> None:
        outbox.append(Message(phone, template, dict(params)))


class DisabledBackend(SmsBackend):
    def send(self, *, phone: str, template: str, params: dict[str, str]) -> None:
        raise SmsNotSent(_("Text messages are not set up on this platform."))


def send_sms(*, phone: str, template: str, params: dict[str, str]) -> None:
    """Send through the configured backend; :class:`SmsNotSent` when it could not."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown SMS template {template!r}")
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(phone=phone, template=template, params=params)
