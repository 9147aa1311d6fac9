"""The Django admin for proctoring: scoped, read-only records, and never a face image or encoding."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from exams.models import ExamSession
from proctoring.models import FaceEnrolment, ProctoringPolicy, ReviewDecision
from proctoring.services.actions import review_decide
from tests.conftest import Cast, login_client, make_staff
from tests.proctoring.conftest import POLICY_FORM
from tests.proctoring.route_data import east_proctoring

pytestmark = pytest.mark.django_db

MODELS = ["proctoringpolicy", "faceconsent", "faceenrolment", "reviewdecision"]


def _staff(user: Any, *codenames: str) -> Any:
    return make_staff(user, *codenames, apps=["proctoring"])


def _page(user: Any, name: str, *args: Any) -> str:
    response = login_client(user).get(reverse(f"admin:proctoring_{name}", args=args), follow=True)
    return response.content.decode()


@pytest.fixture
def east(cast: Cast) -> dict[str, Any]:
    data = east_proctoring(cast)
    decision = review_decide(attempt=data["done"], by=cast.east.proctor, decision="invalid", reason="代考嫌疑")
    return {**data, "decision": decision, "policy": ProctoringPolicy.objects.get(session=data["session"])}


def test_another_districts_staff_sees_no_proctoring_rows(cast: Cast, east: dict[str, Any]) -> None:
    west = _staff(cast.west.proctor, *(f"view_{m}" for m in MODELS), "change_proctoringpolicy")
    objects = {
        "proctoringpolicy": east["policy"],
        "faceconsent": east["enrolment"].consent,
        "faceenrolment": east["enrolment"],
        "reviewdecision": east["decision"],
    }
    for model, obj in objects.items():
        listing = _page(west, f"{model}_changelist")
        assert cast.east.learner.name not in listing, model
        assert east["session"].title not in listing, model
        assert reverse(f"admin:proctoring_{model}_change", args=[obj.pk]) not in listing, model
        detail = _page(west, f"{model}_change", obj.pk)
        assert cast.east.learner.name not in detail, model
        assert "代考嫌疑" not in detail, model


def test_the_sessions_proctor_reads_the_records_without_face_data(cast: Cast, east: dict[str, Any]) -> None:
    proctor = _staff(cast.east.proctor, *(f"view_{m}" for m in MODELS), "change_faceenrolment")
    decisions = _page(proctor, "reviewdecision_changelist")
    assert "代考嫌疑" in decisions
    enrolment = east["enrolment"]
    listing = _page(proctor, "faceenrolment_changelist")
    assert cast.east.learner.name in listing
    detail = _page(proctor, "faceenrolment_change", enrolment.pk)
    assert cast.east.learner.name in detail
    assert "field-source" in detail  # the record itself is shown
    for page in (listing, detail):
        assert enrolment.photo_path not in page
        assert "/proctoring/media/" not in page  # no image, not even a link to the audited view
        assert "data:image" not in page
        assert "field-encoding" not in page
        assert "field-photo_path" not in page
        assert cast.east.learner.id_number not in page
    assert 'name="_save"' not in detail  # read-only even with the change permission
    assert "代考嫌疑" in _page(proctor, "reviewdecision_change", east["decision"].pk)
    assert ReviewDecision.objects.count() == 1
    assert FaceEnrolment.objects.filter(pk=enrolment.pk).exists()


def test_a_training_admin_edits_the_policy_through_the_service(cast: Cast, east: dict[str, Any]) -> None:
    trainer = _staff(cast.east.training_admin, "view_proctoringpolicy", "change_proctoringpolicy")
    url = reverse("admin:proctoring_proctoringpolicy_change", args=[east["policy"].pk])
    client = login_client(trainer)
    assert client.get(url).status_code == 200
    form = POLICY_FORM
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = ProctoringPolicy.objects.get(pk=east["policy"].pk)
    assert (policy.tab_submit_at, policy.match_threshold, policy.mismatch_threshold) == (4, 0.45, 0.5)
    assert ExamSession.objects.get(pk=east["session"].pk).proctoring_policy_id == policy.pk
    # A limit below the warning is refused with the field named, nothing saved.
    refused = client.post(url, {**form, "tab_submit_at": 1})
    assert refused.status_code == 200
    assert ProctoringPolicy.objects.get(pk=policy.pk).tab_submit_at == 4
    # The WEST training admin cannot reach it.
    west = _staff(cast.west.training_admin, "view_proctoringpolicy", "change_proctoringpolicy")
    assert login_client(west).post(url, {**form, "tab_submit_at": 9}).status_code in (302, 404)
    assert ProctoringPolicy.objects.get(pk=policy.pk).tab_submit_at == 4
