"""East-district question-bank objects for tests/test_every_route_is_scoped.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Kwargs = dict[str, Any]


def east_question_bank(cast: Any) -> dict[str, Any]:
    """A shared east bank with its questions, an import job and a practice session (built once per cast)."""
    if "question_bank" not in cast.east.extra:
        from question_bank.models import ImportJob, PracticeSession, Question
        from tests.question_bank.conftest import make_east_practice_bank

        bank = make_east_practice_bank(cast, code="east-route-bank", name="东区路由题库")
        question = Question.objects.filter(bank=bank).order_by("pk").first()
        question.image.name = _route_image()
        question.save(update_fields=["image"])
        job = ImportJob.objects.create(
            bank=bank, created_by=cast.east.training_admin, file_name="east.xlsx", status=ImportJob.Status.DONE
        )
        session = PracticeSession.objects.create(user=cast.east.learner.user, bank=bank, question_ids=[question.pk])
        # The scoping walk POSTs an empty form as the superuser, which retires a
        # question: give that route a question of its own.
        to_retire = Question.objects.filter(bank=bank).order_by("-pk").first()
        from question_bank.models import SiblingGroup, SiblingMember, SiblingSplit

        group = SiblingGroup.objects.create(bank=bank)
        SiblingMember.objects.bulk_create(
            SiblingMember(group=group, question=q) for q in Question.objects.filter(bank=bank).order_by("pk")[:2]
        )
        first, last = Question.objects.filter(bank=bank).order_by("pk")[:1].get(), to_retire
        split = SiblingSplit.objects.create(question=first, other=last)
        cast.east.extra["question_bank"] = {
            "sibling_group": group,
            "sibling_split": split,
            "bank": bank,
            "question": question,
            "to_retire": to_retire,
            "job": job,
            "session": session,
        }
    return cast.east.extra["question_bank"]


def _route_image() -> str:
    """A tiny picture in the default storage under a fixed name (written once)."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    name = "question_bank/images/route-test.png"
    if not default_storage.exists(name):
        stream = io.BytesIO()
        Image.new("RGB", (4, 4), "red").save(stream, "PNG")
        default_storage.save(name, ContentFile(stream.getvalue()))
    return name


def _pk(key: str, as_learner: bool = False, as_uploader: bool = False) -> Callable[[Any], Kwargs]:
    def build(cast: Any) -> Kwargs:
        kwargs: Kwargs = {"pk": east_question_bank(cast)[key].pk}
        if as_learner:
            kwargs["_as"] = cast.east.learner.user
        if as_uploader:
            kwargs["_as"] = cast.east.training_admin
        return kwargs

    return build


def question_bank_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    bank, question, job = _pk("bank"), _pk("question"), _pk("job")
    return {
        "question_bank:bank_detail": bank,
        "question_bank:import_upload": bank,
        "question_bank:bank_export": lambda c: {**bank(c), "fmt": "xlsx"},
        "question_bank:import_job": job,
        "question_bank:import_job_status": job,
        "question_bank:import_job_errors": job,
        # A staged upload is its uploader's alone: the superuser is not let in, the uploader is.
        "question_bank:import_map": _pk("job", as_uploader=True),
        "question_bank:import_preview": _pk("job", as_uploader=True),
        "question_bank:question_edit": question,
        "question_bank:question_new": bank,
        "question_bank:question_set_active": _pk("to_retire"),
        "question_bank:bank_siblings": bank,
        "question_bank:sibling_confirm": _pk("sibling_group"),
        "question_bank:sibling_split": _pk("sibling_group"),
        "question_bank:sibling_confirm_all": bank,
        "question_bank:sibling_split_undo": _pk("sibling_split"),
        "question_bank:question_image": question,
        "question_bank:practice_question": _pk("session", as_learner=True),
        "api:question-bank-detail": bank,
        "api:question-bank-imports": bank,
        "api:question-detail": question,
        "api:question-import-detail": job,
        "api:practice-bank-detail": _pk("bank", as_learner=True),
        "api:practice-question-detail": _pk("question", as_learner=True),
        "api:practice-question-answer": _pk("question", as_learner=True),
        "api:practice-question-self-mark": _pk("question", as_learner=True),
        **{
            re.compile(rf"admin/question_bank/{model}/<path:object_id>/(?:(?:change|delete|history)/)?"): (
                lambda c, key=key: {"object_id": east_question_bank(c)[key].pk}
            )
            for model, key in (("bank", "bank"), ("question", "question"), ("importjob", "job"))
        },
    }
