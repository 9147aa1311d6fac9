"""Exam pages: examinee (list, exam, result), admin (papers, sessions, statistics), certificates, spot tests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import fragments, preconditions
from core.http import page_of
from core.spreadsheets import Sheet, spreadsheet_response
from exams import certificates, selectors
from exams.forms import PaperRulesForm, SessionForm, SpotTestForm
from exams.models import Attempt, Certificate, ExamSession, PaperRule
from exams.routes import pages
from exams.services.attempts import attempt_resume, attempt_start, saved_answers
from exams.services.errors import ExamError, NotEligible, NoticeNotConfirmed, PoolTooSmall, PreconditionUnmet
from exams.services.papers import RuleSpec, paper_create_rules, paper_preview, subjective_left_out_message
from exams.services.sessions import session_create
from exams.services.spot_tests import spot_test_open
from organizations.selectors import enterprises_visible_to, jurisdictions_visible_to, person_of, provider_ids_managed_by
from question_bank.models import OPTION_LETTERS, Question
from question_bank.selectors import banks_managed_by, banks_visible_to


def _no_cache(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


# --- examinee ------------------------------------------------------------------------


@pages.get("", name="my_exams")
def my_exams(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    rows = selectors.exams_for_person(person) if person else []
    for row in rows:
        # Only where a start is on offer: the card then says what to finish instead.
        startable = row["running"] is None and row["is_open"] and row["attempts_left"]
        row["prerequisite"] = selectors.unmet_prerequisite(row["session"], person) if startable else ""
    certs = selectors.certificates_visible_to(request.user).filter(holder=person) if person else []
    return render(request, "exams/my_exams.html", {"rows": rows, "certificates": certs, "now": timezone.now()})


def _examinee_session(request: HttpRequest, session_id: int) -> tuple[Any, ExamSession]:
    person = person_of(request.user)
    session = ExamSession.objects.filter(pk=session_id, kind=ExamSession.Kind.EXAM).select_related("paper").first()
    if person is None or session is None:
        raise Http404
    return person, session


@pages.get("<id:session_id>/notice/", name="notice")
def notice(request: HttpRequest, session_id: int) -> HttpResponse:
    """The exam notice (考试须知): what the exam is and records, confirmed before anything is used up."""
    person, session = _examinee_session(request, session_id)
    mine = list(Attempt.objects.filter(session=session, person=person).defer("payload"))
    if not mine and not selectors.session_admits(session, person):
        raise Http404
    running = next((a for a in mine if a.status == Attempt.Status.IN_PROGRESS), None)
    attempts_left = selectors.attempts_left(session, mine)
    requirements = preconditions.describe(session=session, person=person)
    context = {
        "session": session,
        "notice": selectors.exam_notice(session, attempts_left=attempts_left),
        "requirements": requirements,
        # What a start would be refused for (the first, as the start path asks them in order): the start
        # button leads there instead, or is disabled with it when there is nowhere to go.
        "unmet": next((r for r in requirements if not r.satisfied), None),
        "running": running,
        "can_start": running is None and session.is_open() and attempts_left > 0,
        "not_yet_open": session.opens_at > timezone.now(),
        "prerequisite": "" if running else selectors.unmet_prerequisite(session, person),
    }
    return _no_cache(render(request, "exams/notice.html", context))


@pages.post("sessions/<id:session_id>/start/", name="start")
def start(request: HttpRequest, session_id: int) -> HttpResponse:
    person, session = _examinee_session(request, session_id)
    try:
        attempt = attempt_start(
            session=session, person=person, notice_confirmed=request.POST.get("confirm_notice") == "yes"
        )
    except NotEligible as exc:
        if not selectors.session_admits(session, person):
            raise Http404 from exc
        messages.error(request, exc.message)
        return redirect("exams:my_exams")
    except NoticeNotConfirmed as exc:
        messages.error(request, exc.message)
        return redirect("exams:notice", session_id=session.pk)
    except PreconditionUnmet as exc:
        # Where the precondition is satisfied (the identity check page); it leads back to the notice.
        messages.info(request, exc.message)
        url = exc.requirement.details.get("url") or ""
        if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return redirect(url)
        return redirect("exams:notice", session_id=session.pk)
    except ExamError as exc:
        messages.error(request, exc.message)
        return redirect("exams:my_exams")
    return redirect("exams:attempt", attempt_id=attempt.pk)


def exam_page_strings() -> dict[str, str]:
    """The exam page script's UI text (static/js/exam.js), in the request's language."""
    return {
        "blank": _("Blank"),
        "saved": _("All answers saved"),
        "saving": _("Saving…"),
        "pending": _("Not saved yet:"),
        "timeup": _("Time is up. Your saved answers are being submitted."),
        "other_device": _("This exam was opened on another device. Reload this page to continue here."),
        "closed": _("The exam has been submitted."),
        "submit_failed": _(
            "Could not submit: you seem to be offline. Your answers are kept; try again when the connection is back."
        ),
        # Moving around the paper: the position, the answer card, flags, the confirmation before submit.
        "position": _("Question {n} of {total}"),
        "question_no": _("Question {n}"),
        "answered": pgettext("answer card", "Answered"),
        "unanswered": pgettext("answer card", "Unanswered"),
        "flagged": pgettext("answer card", "Flagged"),
        "flag": pgettext("exam question", "Flag"),
        "unflag": pgettext("exam question", "Unflag"),
        "count": _("({count} questions)"),
        "submit_anyway": _("Submit anyway"),
        "submit_now": _("Submit the exam"),
    }


@pages.get("attempts/<id:attempt_id>/", name="attempt")
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The exam page. Loading it makes this browser the active device."""
    attempt = get_object_or_404(selectors.attempts_answerable_by(request.user), pk=attempt_id)
    if attempt.is_finished:
        return redirect("exams:result", attempt_id=attempt.pk)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise Http404
    try:
        attempt_resume(attempt=attempt)
    except ExamError:
        return redirect("exams:result", attempt_id=attempt.pk)
    config = {
        "attempt_id": attempt.pk,
        "deadline": attempt.deadline.isoformat(),
        "server_time": timezone.now().isoformat(),
        "device": attempt.device_token,
        "questions": attempt.payload,
        "saved": {str(k): v for k, v in saved_answers(attempt).items()},
        "answer_url": reverse("api:exam-attempt-answer", args=[attempt.pk, 0]),
        "submit_url": reverse("api:exam-attempt-submit", args=[attempt.pk]),
        "result_url": reverse("exams:result", args=[attempt.pk]),
    }
    questions = [
        {
            **q,
            "lettered": list(zip(OPTION_LETTERS, q["options"], strict=False)),
            "blank_range": range(q.get("blanks", 0)),
        }
        for q in attempt.payload
    ]
    return _no_cache(
        render(
            request,
            "exams/attempt.html",
            {
                "attempt": attempt,
                "config": config,
                "strings": exam_page_strings(),
                "questions": questions,
                # Proctoring's camera and tab-switch client, for a proctored session (core.fragments).
                "page_fragments": fragments.render(fragments.EXAM_PAGE, request=request, attempt=attempt),
            },
        )
    )


@pages.get("attempts/<id:attempt_id>/result/", name="result")
def result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(selectors.attempts_visible_to(request.user).defer("payload"), pk=attempt_id)
    if not attempt.is_finished:
        if selectors.attempts_answerable_by(request.user).filter(pk=attempt.pk).exists():
            return redirect("exams:attempt", attempt_id=attempt.pk)
        raise Http404
    released = selectors.result_visible(attempt)
    review = selectors.review_rows(attempt) if released and attempt.session.review_answers else []
    certificate = Certificate.objects.filter(attempt=attempt).first()
    return _no_cache(
        render(
            request,
            "exams/result.html",
            {"attempt": attempt, "released": released, "review": review, "certificate": certificate},
        )
    )


# --- admins: papers ------------------------------------------------------------------


def _require_manager(request: HttpRequest) -> None:
    if not selectors.is_exam_manager(request.user):
        raise PermissionDenied


def _admin_links(user: Any, sessions: list[ExamSession]) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """What other apps link to from these sessions (proctoring: policy, live grid, review queue).

    Asked through ``core.fragments``, never by importing the app: per session and
    page-wide, each contributor's values under its name (``links.proctoring.policy_url``).
    """
    found = fragments.session_admin_links(user=user, session_ids=[s.pk for s in sessions])
    per_session = {s.pk: {name: links.sessions.get(s.pk, {}) for name, links in found.items()} for s in sessions}
    return per_session, {name: links.page for name, links in found.items()}


SESSIONS_PER_PAGE = 10


@pages.get("manage/", name="admin_home")
def admin_home(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    ordered = selectors.sessions_in_schedule_order(selectors.sessions_managed_by(request.user), now=timezone.now())
    page, _query = page_of(request, ordered, SESSIONS_PER_PAGE)
    sessions = list(page)
    links, page_links = _admin_links(request.user, sessions)
    return render(
        request,
        "exams/admin_home.html",
        {
            "papers": selectors.papers_managed_by(request.user)[:50],
            "rows": [{"session": s, "links": links[s.pk]} for s in sessions],
            "page": page,
            "page_links": page_links,
        },
    )


@pages.route("manage/papers/new/", name="paper_new", methods=("GET", "POST"))
def paper_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    providers = provider_ids_managed_by(request.user)
    banks = banks_managed_by(request.user)
    form = PaperRulesForm(request.POST or None, banks=banks)
    if request.method == "POST" and form.is_valid():
        provider_id = providers[0] if providers else None
        if provider_id is None:
            first_bank = form.cleaned_data["rules"][0]["banks"][0]
            provider_id = first_bank.owner_id
        if provider_id is None:
            form.add_error(None, _("Choose banks that belong to a training provider."))
        else:
            from organizations.models import TrainingProvider

            try:
                paper = paper_create_rules(
                    provider=TrainingProvider.objects.get(pk=provider_id),
                    name=form.cleaned_data["name"],
                    rules=[RuleSpec(**r) for r in form.cleaned_data["rules"]],
                    created_by=request.user,
                )
            except PoolTooSmall as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Paper saved."))
                return redirect("exams:paper_detail", pk=paper.pk)
    return render(
        request,
        "exams/paper_form.html",
        {"form": form, "subjective_note": subjective_left_out_message(banks.values("pk"))},
    )


@pages.get("manage/papers/<id:pk>/", name="paper_detail")
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(selectors.papers_managed_by(request.user), pk=pk)
    try:
        preview = paper_preview(paper=paper)
        problem = ""
    except PoolTooSmall as exc:
        preview, problem = [], exc.message
    total = sum((row["score"] for row in preview), 0)
    rule_banks = PaperRule.banks.through.objects.filter(paperrule__paper=paper).values("bank_id")
    return _no_cache(
        render(
            request,
            "exams/paper_detail.html",
            {
                "paper": paper,
                "preview": preview,
                "problem": problem,
                "total": total,
                "rules": paper.rules.all(),
                "subjective_note": subjective_left_out_message(rule_banks),
            },
        )
    )


# --- admins: sessions ----------------------------------------------------------------


def _session_form(request: HttpRequest, data: Any = None) -> SessionForm:
    from training.selectors import courses_visible_to

    papers = selectors.papers_managed_by(request.user)
    # "Schedule an exam on this paper" links here with ?paper=ID: that paper is chosen already.
    wanted = request.GET.get("paper", "")
    chosen = papers.filter(pk=int(wanted)).first() if data is None and wanted.isdigit() else None
    return SessionForm(
        data,
        initial={"paper": chosen.pk, "title": chosen.name} if chosen else None,
        papers=papers,
        enterprises=enterprises_visible_to(request.user),
        jurisdictions=jurisdictions_visible_to(request.user),
        courses=courses_visible_to(request.user),
    )


@pages.route("manage/sessions/new/", name="session_new", methods=("GET", "POST"))
def session_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = _session_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        paper = data.pop("paper")
        title = data.pop("title")
        setup_proctoring = data.pop("setup_proctoring", False)
        try:
            session = session_create(provider=paper.provider, paper=paper, title=title, created_by=request.user, **data)
        except PoolTooSmall as exc:
            form.add_error("paper", exc.message)
        else:
            messages.success(request, _("Exam scheduled. Papers are prepared before it opens."))
            if setup_proctoring:
                # Proctoring's policy page for this session, as its links offer it to the session's manager.
                links, _page = _admin_links(request.user, [session])
                policy_url = links[session.pk].get("proctoring", {}).get("policy_url")
                if policy_url:
                    return redirect(policy_url)
            return redirect("exams:session_stats", pk=session.pk)
    return render(request, "exams/session_form.html", {"form": form})


def _bar_svg(distribution: list[tuple[str, int]]) -> dict[str, Any]:
    top = max((c for _l, c in distribution), default=0) or 1
    width, height, gap = 32, 160, 6
    bars = []
    for i, (label, count) in enumerate(distribution):
        h = round(count / top * (height - 20))
        bars.append({"x": i * (width + gap) + 4, "y": height - h, "h": h, "w": width, "label": label, "count": count})
    return {"bars": bars, "width": len(distribution) * (width + gap) + 8, "height": height + 34}


@pages.get("manage/sessions/<id:pk>/statistics/", name="session_stats")
def session_stats(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(selectors.sessions_supervised_by(request.user), pk=pk)
    stats = selectors.session_statistics(session)
    links, page_links = _admin_links(request.user, [session])
    return _no_cache(
        render(
            request,
            "exams/session_stats.html",
            {
                "session": session,
                "links": links[session.pk],
                "page_links": page_links,
                "stats": stats,
                "chart": _bar_svg(stats["distribution"]),
                "prepared": Attempt.objects.filter(session=session).count(),
                "running": Attempt.objects.filter(session=session, status=Attempt.Status.IN_PROGRESS).count(),
            },
        )
    )


@pages.get("manage/sessions/<id:pk>/statistics.xlsx", name="session_export")
def session_export(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(selectors.sessions_supervised_by(request.user), pk=pk)
    stats = selectors.session_statistics(session)
    examinees = Sheet(
        title=_("Examinees"),
        columns=[_("Name"), _("Enterprise"), _("Attempt"), _("Score"), _("Passed"), _("Submitted at")],
        rows=(
            [
                a.person.name,
                a.person.enterprise.name,
                a.seq,
                float(a.score or 0),
                _("Yes") if a.passed else _("No"),
                timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "",
            ]
            for a in stats["finals"]
        ),
    )
    items = Sheet(
        title=_("Items"),
        columns=[
            _("Question"),
            _("Knowledge point"),
            pgettext("respondents", "Answered"),
            _("Facility"),
            _("Discrimination"),
        ],
        rows=(
            [r["stem"], r["knowledge_point"], r["answered"], r["facility"], r["discrimination"]] for r in stats["items"]
        ),
    )
    enterprises = Sheet(
        title=_("Enterprises"),
        columns=[_("Enterprise"), _("Examinees"), _("Passed"), _("Pass rate"), _("Average")],
        rows=(
            [r["enterprise"], r["examinees"], r["passed"], r["pass_rate"], r["average"]] for r in stats["enterprises"]
        ),
    )
    response = spreadsheet_response(
        kind="xlsx", sheets=[examinees, items, enterprises], filename=f"exam-{session.pk}-statistics.xlsx"
    )
    return _no_cache(response)


# --- certificates --------------------------------------------------------------------


@pages.get("certificates/<id:pk>/", name="certificate_detail")
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(selectors.certificates_visible_to(request.user), pk=pk)
    url = request.build_absolute_uri(certificates.verify_path(certificate))
    return render(
        request,
        "exams/certificate_detail.html",
        {"certificate": certificate, "verify_url": url, "qr_svg": certificates.qr_svg(url)},
    )


@pages.get("certificates/<id:pk>/pdf/", name="certificate_pdf")
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the platform's own certificates: an imported one was printed by its issuer (and has no provider).
    certificate = get_object_or_404(selectors.certificates_visible_to(request.user), pk=pk, imported=False)
    url = request.build_absolute_uri(certificates.verify_path(certificate))
    response = HttpResponse(certificates.pdf_bytes(certificate, url), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{certificate.number}.pdf")
    return response


@pages.get("verify/<str:number>/", name="certificate_verify", login=False)
def certificate_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Public page behind the QR code: valid / expired / revoked and the masked fields only.

    Opens with the signature from the QR code, or for a signed-in user who may
    see the certificate; otherwise 404, so numbers can't be enumerated: the
    same page whether the number exists or not, pointing to the lookup by
    number and name (证书查询).
    """
    certificate = Certificate.objects.filter(number=number).select_related("provider").first()
    signed = certificate is not None and certificates.signature_ok(number, request.GET.get("s", ""))
    if certificate is None or (
        not signed and not selectors.certificates_visible_to(request.user).filter(pk=certificate.pk).exists()
    ):
        lookup = reverse("exams:certificate_lookup") + "?" + urlencode({"number": number[:64]})
        return _no_cache(render(request, "exams/certificate_verify_unsigned.html", {"lookup": lookup}, status=404))
    response = render(
        request, "exams/certificate_verify.html", {"certificate": certificate, "state": certificate.state()}
    )
    response["X-Robots-Tag"] = "noindex"
    return _no_cache(response)


# --- spot tests (逢查必考) -----------------------------------------------------------


def _require_inspector(request: HttpRequest) -> None:
    if not selectors.may_inspect(request.user):
        raise PermissionDenied


# The most people one search lists; more matches are counted and the inspector is asked to narrow the search.
SPOT_LIST_LIMIT = 20


@pages.route("spot/", name="spot_new", methods=("GET", "POST"))
def spot_new(request: HttpRequest) -> HttpResponse:
    """Find the worker on site by name, enterprise, mobile or ID number, pick them, open the quiz."""
    _require_inspector(request)
    query = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    query = query.strip()[:64]
    form = SpotTestForm(request.POST or None, people=selectors.people_inspectable_by(request.user))
    if request.method == "POST" and form.is_valid():
        return _spot_open(request, form.cleaned_data["person"])
    found = selectors.people_to_inspect_matching(request.user, query)
    candidates = list(found[: SPOT_LIST_LIMIT + 1])
    context = {
        "form": form,
        "q": query,
        "candidates": candidates[:SPOT_LIST_LIMIT],
        # Counted only when the list is cut short: the page says how many matched, never a silent cap.
        "matched": found.count() if len(candidates) > SPOT_LIST_LIMIT else len(candidates),
        "limit": SPOT_LIST_LIMIT,
        "picked": form["person"].value() if form.is_bound else None,
        "recent": selectors.spot_tests_visible_to(request.user).filter(opened_by=request.user)[:20],
    }
    return render(request, "exams/spot_new.html", context)


@pages.route("spot/people/<id:person_id>/", name="spot_person", methods=("GET", "POST"))
def spot_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """The link behind a worker's QR code: confirm, then the quiz opens on this phone."""
    _require_inspector(request)
    person = get_object_or_404(selectors.people_inspectable_by(request.user), pk=person_id)
    if request.method == "POST":
        return _spot_open(request, person)
    link = request.build_absolute_uri(reverse("exams:spot_person", args=[person.pk]))
    return render(request, "exams/spot_person.html", {"person": person, "qr_svg": certificates.qr_svg(link)})


def _spot_open(request: HttpRequest, person: Any) -> HttpResponse:
    questions = Question.objects.filter(bank__in=banks_visible_to(request.user).values("pk"))
    try:
        attempt = spot_test_open(inspector=request.user, person=person, questions=questions)
    except ExamError as exc:
        messages.error(request, exc.message)
        return redirect("exams:spot_new")
    return redirect("exams:attempt", attempt_id=attempt.pk)


def config_json(config: dict[str, Any]) -> str:
    return json.dumps(config, ensure_ascii=False)
