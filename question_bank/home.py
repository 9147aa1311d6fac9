"""Practice's section of the learner's home (``core.todo``): the last practice, one tap from going on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import todo
from organizations.selectors import person_of
from question_bank import selectors


def todo_practice(*, user: Any, now: dt.datetime) -> todo.Section | None:
    if person_of(user) is None:  # practice is for people on a roster
        return None
    home = reverse("question_bank:practice_home")
    items: tuple[todo.Item, ...] = ()
    last = selectors.last_practice(user)
    if last is not None:
        session, when = last
        done = min(session.position, session.total)
        lines = (
            _("Last practised %(when)s") % {"when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M")},
            _("%(done)d of %(total)d questions answered, %(correct)d correct")
            % {"done": done, "total": session.total, "correct": session.correct_count},
        )
        if session.finished:
            item = todo.Item(
                title=session.bank.name,
                url=home,
                action=_("Practise again"),
                lines=lines,
                percent=100,
                badge=_("Finished"),
                tone="ok",
            )
        else:
            item = todo.Item(
                title=session.bank.name,
                url=reverse("question_bank:practice_question", args=[session.pk]),
                action=_("Continue practising"),
                lines=lines,
                percent=done * 100 // session.total if session.total else 0,
            )
        items = (item,)
    return todo.Section(
        key="practice",
        title=_("Last practice"),
        items=items,
        link=(home, _("Exam practice")),
        todo=False,
    )
