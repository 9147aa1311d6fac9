"""The classroom reminder job: invitees of a class that starts within a day get one reminder.

Embedded default: a daemon thread started where ``core.background.periodic_jobs_wanted``
says (a server process, not pytest, not with Celery), every ``CLASSROOM_REMINDER_SECONDS``.
The command ``classroom_reminders`` (``--loop``) runs the same tick. Sending is
claimed row by row, so overlapping runs send each reminder once.
"""

from __future__ import annotations

from django.conf import settings

from core import background


def start() -> bool:
    if not background.periodic_jobs_wanted():
        return False
    from classroom.services.reminders import reminders_tick

    return background.run_periodically(
        "classroom-reminders", reminders_tick, interval=settings.CLASSROOM_REMINDER_SECONDS
    )
