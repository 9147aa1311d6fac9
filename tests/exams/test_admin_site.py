"""The Django admin for exams: scoped by exams.selectors, attempts read-only, certificates revoked by their issuer."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from exams.models import Attempt, Certificate
from tests.conftest import Cast, login_client, make_staff
from tests.exams.route_data import east_exam

pytestmark = pytest.mark.django_db

VIEW = ["view_papertemplate", "view_examsession", "view_attempt", "view_certificate"]


def _staff(user: Any, *codenames: str) -> Any:
    return make_staff(user, *codenames, apps=["exams"])


def _changelist(user: Any, model: str) -> str:
    response = login_client(user).get(reverse(f"admin:exams_{model}_changelist"))
    assert response.status_code == 200, model
    return response.content.decode()


def test_another_districts_staff_sees_no_exam_rows(cast: Cast) -> None:
    east = east_exam(cast)
    west = _staff(cast.west.training_admin, *VIEW, "change_certificate", "change_examsession")
    assert east["finished"].title not in _changelist(west, "examsession")
    assert reverse("admin:exams_papertemplate_change", args=[east["paper"].pk]) not in _changelist(
        west, "papertemplate"
    )
    assert cast.east.learner.name not in _changelist(west, "attempt")
    certificates = _changelist(west, "certificate")
    assert east["certificate"].number not in certificates
    assert cast.east.learner.name not in certificates
    client = login_client(west)
    for model, obj in (
        ("examsession", east["finished"]),
        ("papertemplate", east["paper"]),
        ("attempt", east["done"]),
        ("certificate", east["certificate"]),
    ):
        response = client.get(reverse(f"admin:exams_{model}_change", args=[obj.pk]), follow=True)
        assert cast.east.learner.name not in response.content.decode(), model
        assert east["finished"].title not in response.content.decode(), model
    # Revoking through the action names only rows the user can see.
    client.post(
        reverse("admin:exams_certificate_changelist"),
        {"action": "revoke", "_selected_action": [east["certificate"].pk]},
    )
    assert Certificate.objects.get(pk=east["certificate"].pk).status == "valid"


def test_the_issuer_sees_its_rows_read_only_and_revokes_a_certificate(cast: Cast) -> None:
    east = east_exam(cast)
    trainer = _staff(cast.east.training_admin, *VIEW, "change_attempt", "change_certificate")
    assert east["finished"].title in _changelist(trainer, "examsession")
    attempts = _changelist(trainer, "attempt")
    assert cast.east.learner.name in attempts
    client = login_client(trainer)
    attempt_page = client.get(reverse("admin:exams_attempt_change", args=[east["done"].pk])).content.decode()
    assert 'name="_save"' not in attempt_page  # read-only, even with the change permission
    # The answer key never shows: the payload and the attempt questions are not in the admin.
    for aq in east["done"].questions.all():
        assert aq.stem not in attempt_page
    response = client.post(
        reverse("admin:exams_certificate_changelist"),
        {"action": "revoke", "_selected_action": [east["certificate"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    certificate = Certificate.objects.get(pk=east["certificate"].pk)
    assert certificate.status == "revoked"
    assert certificate.revoked_at is not None
    assert Attempt.objects.get(pk=east["done"].pk).status == Attempt.Status.SUBMITTED


def test_a_bureau_reads_certificates_but_does_not_revoke(cast: Cast) -> None:
    east = east_exam(cast)
    bureau = _staff(cast.east.bureau, *VIEW, "change_certificate")
    assert east["certificate"].number in _changelist(bureau, "certificate")
    login_client(bureau).post(
        reverse("admin:exams_certificate_changelist"),
        {"action": "revoke", "_selected_action": [east["certificate"].pk]},
    )
    assert Certificate.objects.get(pk=east["certificate"].pk).status == "valid"
