"""URL parameters for tests/test_every_route_is_scoped.py.

Every URL pattern (and websocket route) that takes parameters needs an entry
here, or that test fails and names the route. An entry maps a route to a
function ``(cast) -> kwargs`` whose kwargs point at an object belonging to the
EAST district. The test then requests the route as the outsider and as the WEST
district's learner, enterprise admin and bureau official, and expects 403/404.

Keys:
  * a plain string matches a route's namespaced name exactly
    (``"organizations:enterprise_detail"``) or its full route string
    (``"admin/organizations/enterprise/<path:object_id>/"``);
  * a compiled ``re.Pattern`` is ``fullmatch``-ed against both.

Routes public by design (a login endpoint, a health check, certificate
verification by its number) go in ``PUBLIC_ROUTES`` with the reason: anonymous
users may reach them, and a parametrised one is not checked for tenants; every
parameterless route is still checked for showing no EAST data.

A ``format`` parameter (DRF suffix routes) is filled with ``json`` by the test,
so you need not supply it.

As a check that the kwargs name a real object, the test requests each route
as a superuser and expects any status but 401/403/404/5xx.
A route whose parameter is not a tenant's object (an indicator code) names
the EAST object in the query string instead: put it under ``"_query"``
(a dict, urlencoded after the path), e.g. ``{"code": "x", "_query":
{"jurisdiction": east_code}}``.
If the superuser is the wrong witness for your route, put the user who *can*
reach it under the key ``"_as"`` (it is removed before the URL is built), e.g.
``lambda c: {"pk": attempt.pk, "_as": c.east.learner.user}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Kwargs = dict[str, Any]


def _east_enterprise(cast: Any) -> Kwargs:
    return {"pk": cast.east.enterprises[0].pk}


def _east_person(cast: Any) -> Kwargs:
    return {"pk": cast.east.learner.pk}


def _admin_object(model: str) -> Callable[[Any], Kwargs]:
    """An east-district object for admin/<app>/<model>/<object_id>/… routes."""

    def build(cast: Any) -> Kwargs:
        objects = {
            "organizations_enterprise": cast.east.enterprises[0],
            "organizations_person": cast.east.learner,
            "organizations_jurisdiction": cast.east.street,
            "organizations_trainingprovider": cast.east.provider,
            "organizations_rolegrant": cast.east.bureau.role_grants.first(),
            "accounts_user": cast.east.learner.user,
        }
        return {"object_id": objects[model].pk}

    return build


def _question_bank_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    from tests.question_bank.route_data import question_bank_routes

    return question_bank_routes()


def _proctoring_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    from tests.proctoring.route_data import proctoring_routes

    return dict(proctoring_routes())


def _exam_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    from tests.exams.route_data import exam_routes

    return dict(exam_routes())


def _classroom_web_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    from tests.classroom.web_data import classroom_web_routes

    return classroom_web_routes()


def _training_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    def lesson(cast: Any) -> Kwargs:
        from tests.training.route_data import east_training

        return {"pk": east_training(cast)["video"].pk, "_as": cast.east.learner.user}

    def document_page(cast: Any) -> Kwargs:
        from tests.training.route_data import east_training

        return {"pk": east_training(cast)["document"].pk, "number": 1, "_as": cast.east.learner.user}

    def course(cast: Any) -> Kwargs:
        from tests.training.route_data import east_training

        return {"pk": east_training(cast)["course"].pk}

    def public_course(cast: Any) -> Kwargs:
        from tests.training.route_data import east_training

        data = east_training(cast)
        return {"pk": data["public_course"].pk, "_as": data["public_user"]}

    def admin_object(cast: Any, model: str) -> Kwargs:
        from tests.training.route_data import east_training

        return {"object_id": east_training(cast)["admin"][model].pk}

    from tests.training.route_data import training_builder_routes

    admin_models = "course|lesson|plan|assignment|creditledger|publiclearner|requirementprofile|plantemplate"
    lesson_routes = ["lesson_player", "lesson_media"]
    api_routes = [
        "lesson-detail",
        "lesson-progress",
        "lesson-start",
        "lesson-heartbeat",
        "lesson-presence",
        "lesson-stop",
        "lesson-media",
    ]
    return {
        "training:course_detail": course,
        "training:public_enrol": public_course,
        "training:lesson_page": document_page,
        "api:lesson-page": document_page,
        **{f"training:{name}": lesson for name in lesson_routes},
        **{f"api:{name}": lesson for name in api_routes},
        **training_builder_routes(),
        **{
            re.compile(rf"admin/training/{model}/<path:object_id>/(?:(?:change|delete|history)/)?"): (
                lambda c, model=model: admin_object(c, model)
            )
            for model in admin_models.split("|")
        },
    }


def _analytics_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    def indicator(cast: Any) -> Kwargs:
        # The code is no tenant's; the EAST district is named in the query.
        return {"code": "principal_certified_rate", "_query": {"jurisdiction": cast.east.jurisdiction.code}}

    def export_job(cast: Any) -> Kwargs:
        from tests.analytics.api_world import east_export_job

        return {"pk": east_export_job(cast).pk, "_as": cast.east.bureau}

    return {
        "api:stats-indicator": indicator,
        "api:stats-indicator-people": indicator,
        **{f"analytics:{name}": export_job for name in ("export_detail", "export_status", "export_download")},
    }


def _library_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    from tests.training.library_route_data import library_routes

    return library_routes()


# route name or full route string -> why anyone may call it
PUBLIC_ROUTES: dict[str, str] = {
    "healthz": "load balancers poll it; it reports only ok/error per part and the worker queue's length and wait",
    "readyz": "load balancers poll it; it reports only whether the database answers",
    "favicon": "browsers ask for it on every page; a redirect to the static logo",
    "api:api-token": "the API's login: it takes credentials and answers nothing else",
    "training_public:register": "self-registration for public learners, before they have an account",
    "exams:certificate_lookup": "the public certificate lookup (证书查询): number AND name, rate-limited, name masked",
    "api:certificate-verify": "the same lookup's API door, under the same rules (tests/exams/test_certificate_lookup.py)",
    "accounts:phone_reset": "password reset by phone (找回密码): one answer for every number, login's rate limits",
    "accounts:phone_reset_confirm": "its code step: needs the number from the first step; the code is the credential",
    "api:api-phone-reset-code": "the same reset's API door (tests/accounts/test_phone_reset.py)",
    "api:api-phone-reset": "the same reset's code step on the API",
}

ROUTE_PARAMS: dict[str | re.Pattern[str], Callable[[Any], Kwargs]] = {
    # organizations (pages)
    "organizations:enterprise_detail": _east_enterprise,
    "organizations:person_detail": _east_person,
    "organizations:person_file_pdf": _east_person,
    "organizations:person_edit": _east_person,
    "organizations:person_leave": _east_person,
    # API v1 (DRF router)
    "api:enterprise-detail": _east_enterprise,
    "api:person-detail": _east_person,
    "api:jurisdiction-detail": lambda c: {"pk": c.east.street.pk},
    # Django admin: object pages of scoped models, by model
    **{
        re.compile(rf"admin/{model.replace('_', '/', 1)}/<path:object_id>/(?:(?:change|delete|history)/)?"): (
            _admin_object(model)
        )
        for model in (
            "organizations_enterprise",
            "organizations_person",
            "organizations_jurisdiction",
            "organizations_trainingprovider",
            "organizations_rolegrant",
            "accounts_user",
        )
    },
    "admin:auth_user_password_change": lambda c: {"id": c.east.learner.user.pk},
    # Not tenant data (Django groups, DRF tokens, allauth email/MFA records of an
    # east user): still must be refused to non-staff users.
    re.compile(r"admin/auth/group/<path:object_id>/.*"): lambda c: {"object_id": _east_group(c).pk},
    re.compile(r"admin/authtoken/tokenproxy/<path:object_id>/.*"): lambda c: {"object_id": _east_token(c)},
    re.compile(r"admin/account/emailaddress/<path:object_id>/.*"): lambda c: {"object_id": _east_email(c).pk},
    re.compile(r"admin/mfa/authenticator/<path:object_id>/.*"): lambda c: {"object_id": _east_totp(c).pk},
    # django-axes' records of an east user's sign-ins (platform admins unlock accounts there).
    re.compile(r"admin/axes/(accessattempt|accesslog|accessfailurelog)/<path:object_id>/.*"): lambda c: {
        "object_id": _east_axes_records(c)
    },
    re.compile(r"admin/organizations/industry/<path:object_id>/.*"): lambda c: {
        "object_id": c.east.enterprises[0].industry_id
    },
    "admin:app_list": lambda c: {"app_label": "organizations"},
    # training (pages and API; objects from tests/training/route_data.py)
    **_training_routes(),
    **_exam_routes(),
    **_proctoring_routes(),
    **_question_bank_routes(),
    # analytics (published reports; the statistics pages take their scope from the query string)
    "analytics:report_detail": lambda c: _east_report(c),
    **_analytics_routes(),
    # a background import_data job is its uploader's alone
    "imports:job": lambda c: _east_data_import(c),
    # an import's list of errors is its uploader's alone
    "imports:errors": lambda c: _east_import_errors(c),
    # classroom pages (clweb; objects from tests/classroom/web_data.py)
    **_classroom_web_routes(),
    # classroom API (clcore, issue 18)
    "api:class-code": lambda c: _classroom_class_code(c),
    "api:class-sign": lambda c: _classroom_class_sign(c),
    # the lesson-plan library (lplib; objects from tests/training/library_route_data.py)
    **_library_routes(),
}


def _east_data_import(cast: Any) -> Kwargs:
    from core.models import DataImport

    job = DataImport.objects.create(
        kind="training", created_by=cast.east.enterprise_admin, file_name="t.csv", file_kind="csv", status="done"
    )
    return {"pk": job.pk, "_as": cast.east.enterprise_admin}


def _east_import_errors(cast: Any) -> Kwargs:
    from core.import_errors import errors_report_keep
    from core.tabular import RowError

    errors = [RowError(2, "身份证号", f"{cast.east.learner.id_number} is not on the roster")]
    token = errors_report_keep(user=cast.east.enterprise_admin, source="t.csv", errors=errors)
    return {"token": token, "_as": cast.east.enterprise_admin}


def _east_report(cast: Any) -> Kwargs:
    """A report published by the east bureau for its district."""
    from analytics.reports import report_publish

    report = report_publish(
        user=cast.east.bureau,
        kind="monthly",
        title="东区月报",
        codes=["principal_certified_rate"],
        params={"from": "2026-06-01", "to": "2026-06-30"},
    )
    return {"pk": report.pk, "_as": cast.east.bureau}


def _east_group(cast: Any) -> Any:
    from django.contrib.auth.models import Group

    group, _ = Group.objects.get_or_create(name="east-group")
    return group


def _east_token(cast: Any) -> str:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=cast.east.learner.user)
    # TokenProxy's primary key is the user's id.
    return str(token.user_id)


def _east_email(cast: Any) -> Any:
    from allauth.account.models import EmailAddress

    address, _ = EmailAddress.objects.get_or_create(
        user=cast.east.learner.user, email="east-learner@example.com", defaults={"verified": True}
    )
    return address


def _east_totp(cast: Any) -> Any:
    from allauth.mfa.models import Authenticator

    authenticator, _ = Authenticator.objects.get_or_create(
        user=cast.east.bureau, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "unused"}}
    )
    return authenticator


def _east_axes_records(cast: Any) -> int:
    """One access attempt, access log and failure log of the east learner, all with the same id."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone

    fields = {
        "username": cast.east.learner.user.username,
        "ip_address": "192.0.2.10",
        "user_agent": "test",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
        "attempt_time": timezone.now(),
    }
    pk = 990_001
    AccessAttempt.objects.get_or_create(
        pk=pk, defaults={**fields, "get_data": "", "post_data": "", "failures_since_start": 1}
    )
    AccessLog.objects.get_or_create(pk=pk, defaults=fields)
    AccessFailureLog.objects.get_or_create(pk=pk, defaults={**fields, "locked_out": False})
    return pk


def _classroom_class_code(cast: Any) -> Kwargs:
    """The east chemical plant's class (tests/support/classroom.make_class): its code is shown to those who run it."""
    from tests.support.classroom import make_class

    return {"pk": make_class(cast).pk, "_query": {"kind": "in"}, "_as": cast.east.enterprise_admin}


def _classroom_class_sign(cast: Any) -> Kwargs:
    """The same class's sign door answers its invitees."""
    from tests.support.classroom import make_class

    return {"pk": make_class(cast).pk, "_as": cast.east.learner.user}


# --- clevid: a class's evidence (classroom/evidence_urls.py) ---------------------------------------------


def _classroom_evidence_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    def east_class(cast: Any) -> dict[str, Any]:
        from tests.classroom.evidence_world import evidence_class

        if "evidence" not in cast.east.extra:
            cast.east.extra["evidence"] = evidence_class(cast.east, photos=2, close=False)
        return cast.east.extra["evidence"]

    def klass(cast: Any) -> Kwargs:
        world = east_class(cast)
        return {"pk": world["class"].pk, "_as": world["trainer"]}

    def photo(cast: Any, index: int = 0) -> Kwargs:
        world = east_class(cast)
        return {"pk": world["class"].pk, "photo_pk": world["photos"][index].pk, "_as": world["trainer"]}

    names = ("detail", "sheet_pdf", "sheet_xlsx", "photos_add")
    return {
        **{f"classroom_evidence:{name}": klass for name in names},
        **{f"classroom_evidence:{name}": photo for name in ("photo", "photo_thumb")},
        # The witness's POST removes the photo it names: its own, so the others stay for the other routes.
        "classroom_evidence:photo_delete": lambda cast: photo(cast, 1),
    }


ROUTE_PARAMS.update(_classroom_evidence_routes())
