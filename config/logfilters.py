"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedWithoutTraceback(logging.Filter):
    """Django logs every 403 from PermissionDenied with its traceback; a refused page is
    routine (a role without access), so the one warning line ("Forbidden (Permission denied):
    /path") is enough. Other exceptions keep their tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
