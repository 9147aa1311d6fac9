"""Class notices by email, the mechanism training's due-date reminders use (``training.services.assignments``):
the invitation notice when someone is invited, a reminder the day before, a notice when a class is cancelled.

Mail goes out after the commit of the write that caused it, never inside it;
with the dummy mail backend nothing is sent (as for training's reminders). The
day-before reminder is claimed with a conditional UPDATE on ``reminded_at``, so
two overlapping runs send it once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from classroom.models import Invitation, TrainingClass

logger = logging.getLogger(__name__)
REMIND_BEFORE = dt.timedelta(hours=24)


def _mail_off() -> bool:
    return settings.EMAIL_BACKEND.endswith("dummy.EmailBackend")


def _when(training_class: TrainingClass) -> str:
    starts, ends = timezone.localtime(training_class.starts_at), timezone.localtime(training_class.ends_at)
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M}"


def _send(subject: str, body: str, email: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=True)


def _invitation_mail(invitation: Invitation) -> None:
    c = invitation.training_class
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("Invitation to a class: %(topic)s") % {"topic": c.topic},
            _(
                "You are invited to the class “%(topic)s” on %(when)s at %(place)s. Sign in there by scanning the code the trainer shows."
            )
            % {"topic": c.topic, "when": _when(c), "place": c.place},
            invitation.person.user.email,
        )


def _send_invitations(invitation_ids: list[int]) -> None:
    invitations = Invitation.objects.filter(pk__in=invitation_ids).exclude(person__user__email="")
    for invitation in invitations.select_related("training_class", "person__user"):
        _invitation_mail(invitation)


def invitation_notify(*, invitation_ids: Iterable[int]) -> None:
    """Send the invitation notice to these new invitees once the current transaction commits."""
    ids = list(invitation_ids)
    if ids and not _mail_off():
        transaction.on_commit(lambda: _send_invitations(ids))


def cancellation_notify(*, training_class: TrainingClass) -> None:
    """Tell the invitees that the class is cancelled, once the current transaction commits."""
    if _mail_off():
        return
    class_id = training_class.pk

    def send() -> None:
        c = TrainingClass.objects.get(pk=class_id)
        emails = Invitation.objects.filter(training_class=c).exclude(person__user__email="")
        with translation.override(settings.LANGUAGE_CODE):
            for email in emails.values_list("person__user__email", flat=True):
                _send(
                    _("Class cancelled: %(topic)s") % {"topic": c.topic},
                    _("The class “%(topic)s” on %(when)s is cancelled.") % {"topic": c.topic, "when": _when(c)},
                    email,
                )

    transaction.on_commit(send)


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind every invitee of a scheduled class that starts within the next day, once; returns how many."""
    if _mail_off():
        return 0
    now = now or timezone.now()
    due = (
        Invitation.objects.filter(
            reminded_at__isnull=True,
            training_class__status=TrainingClass.Status.SCHEDULED,
            training_class__starts_at__gt=now,
            training_class__starts_at__lte=now + REMIND_BEFORE,
        )
        .exclude(person__user__email="")
        .select_related("training_class", "person__user")
    )
    sent = 0
    for invitation in due:
        if Invitation.objects.filter(pk=invitation.pk, reminded_at__isnull=True).update(reminded_at=now) != 1:
            continue  # another run claimed it
        c = invitation.training_class
        with translation.override(settings.LANGUAGE_CODE):
            _send(
                _("Class tomorrow: %(topic)s") % {"topic": c.topic},
                _("Reminder: the class “%(topic)s” is on %(when)s at %(place)s.")
                % {"topic": c.topic, "when": _when(c), "place": c.place},
                invitation.person.user.email,
            )
        sent += 1
    return sent


def reminders_tick() -> dict[str, int]:
    """The periodic job (``classroom_reminders`` command, the embedded thread, Celery beat): send the
    day-before reminders, credit as other training the waiting minutes whose end-of-class quiz lapsed, and
    delete sign-in face photos past the retention."""
    from classroom.services.attendance import face_photos_purge, quiz_window_lapse

    sent = reminders_send()
    lapsed = quiz_window_lapse()
    purged = face_photos_purge()
    logger.info("Classroom reminders sent: %s; lapsed quiz credits: %s; face photos purged: %s", sent, lapsed, purged)
    return {"reminders": sent, "quiz_lapsed": lapsed, "face_photos_purged": purged}
