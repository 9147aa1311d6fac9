"""A refusal names its code and status in its class header; what it does not name it inherits."""

from __future__ import annotations

from core.errors import ServiceError
from exams.services.errors import ExamError, NotEligible, PoolTooSmall, SubjectiveRefused
from proctoring.services.errors import ConsentOutdated, ConsentRequired, TooManyPhotos


class Refusal(ServiceError, code="teapot", status=418): ...


class SameStatus(Refusal, code="kettle"): ...


def test_the_header_sets_code_and_status_and_a_subclass_inherits_what_it_does_not_name() -> None:
    assert (ServiceError.code, ServiceError.status) == ("refused", 409)
    assert (Refusal.code, Refusal.status) == ("teapot", 418)
    assert (SameStatus.code, SameStatus.status) == ("kettle", 418)
    refused = SameStatus("message for the user", retry_after=3)
    assert (refused.code, refused.status, refused.message, refused.details) == (
        "kettle",
        418,
        "message for the user",
        {"retry_after": 3},
    )


def test_the_apps_refusals_keep_their_codes_and_statuses() -> None:
    assert (ExamError.code, ExamError.status) == ("refused", 409)
    assert (NotEligible.code, NotEligible.status) == ("not_eligible", 403)
    assert (PoolTooSmall.code, PoolTooSmall.status) == ("pool_too_small", 400)
    assert (SubjectiveRefused.code, SubjectiveRefused.status) == ("subjective_question", 400)
    assert (ConsentRequired.code, ConsentRequired.status) == ("consent_required", 403)
    assert (ConsentOutdated.code, ConsentOutdated.status) == ("consent_outdated", 403)
    assert (TooManyPhotos.code, TooManyPhotos.status) == ("too_many_photos", 429)
