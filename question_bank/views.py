from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.http import page_of, stored_file
from core.uploads import UploadRejected
from organizations import selectors as org_selectors
from question_bank import exporters, importers, selectors, services, siblings
from question_bank.display import answer_display, question_label
from question_bank.forms import (
    BankForm,
    ColumnMapForm,
    ImportConfirmForm,
    PracticeStartForm,
    QuestionForm,
    UploadForm,
    question_form_ui,
)
from question_bank.models import OPTION_LETTERS, ImportJob, PracticeSession, Question, QuestionType, SiblingGroup
from question_bank.routes import pages

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_TYPES = {
    "xlsx": (XLSX, "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "gift": ("text/plain; charset=utf-8", "gift"),
    "aiken": ("text/plain; charset=utf-8", "txt"),
}


# --- banks ---------------------------------------------------------------------


@pages.route("", name="bank_list")
def bank_list(request: HttpRequest) -> HttpResponse:
    banks = selectors.banks_browsable_by(request.user)
    managed_ids = set(selectors.banks_managed_by(request.user).values_list("pk", flat=True))
    can_create = org_selectors.is_platform_admin(request.user) or bool(
        org_selectors.provider_ids_managed_by(request.user)
    )
    if not banks.exists() and not can_create:
        if org_selectors.person_of(request.user) is not None:
            return redirect("question_bank:practice_home")
        raise PermissionDenied
    return render(
        request,
        "question_bank/bank_list.html",
        {"banks": banks, "managed_ids": managed_ids, "can_create": can_create},
    )


def _bank_form_choices(user: Any) -> tuple[Any, Any, bool]:
    platform = org_selectors.is_platform_admin(user)
    return selectors.bank_owner_choices(user), selectors.sharing_jurisdictions_for(user), platform


@pages.route("banks/new/", name="bank_create")
def bank_create(request: HttpRequest) -> HttpResponse:
    providers, jurisdictions, platform = _bank_form_choices(request.user)
    if not platform and not providers.exists():
        raise PermissionDenied
    form = BankForm(request.POST or None, providers=providers, jurisdictions=jurisdictions, platform=platform)
    if request.method == "POST" and form.is_valid():
        try:
            # The form's fields are the service's arguments (as in the admin's save_model).
            bank = services.bank_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Bank created."))
            return redirect("question_bank:bank_detail", pk=bank.pk)
    return render(request, "question_bank/bank_form.html", {"form": form})


def _form_errors(form: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


BANK_PAGE_SIZE = 30  # questions on a page of the bank


@pages.route("banks/<id:pk>/", name="bank_detail")
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_object_or_404(selectors.banks_browsable_by(request.user), pk=pk)
    all_questions = Question.objects.filter(bank=bank)
    f = {key: request.GET.get(key, "").strip() for key in ("q", "type", "difficulty", "kp", "tag", "active")}
    questions = selectors.filter_questions(
        all_questions,
        search=f["q"],
        qtype=f["type"],
        difficulty=f["difficulty"],
        knowledge_point=f["kp"],
        tag=f["tag"],
        active=f["active"],
    )
    page, query = page_of(request, questions.order_by("pk"), BANK_PAGE_SIZE)
    can_manage = selectors.can_manage(request.user, bank)
    return render(
        request,
        "question_bank/bank_detail.html",
        {
            "bank": bank,
            "page": page,
            "filters": f,
            "query": query,
            "types": QuestionType.choices,
            "knowledge_points": selectors.knowledge_points(all_questions),
            "tags": selectors.industry_tags(all_questions),
            "can_manage": can_manage,
            # Only those who may edit the bank see its groups.
            "sibling_ids": selectors.sibling_keys(Question.objects.filter(pk__in=[q.pk for q in page]))
            if can_manage
            else {},
            "sibling_review": selectors.sibling_groups_visible_to(request.user)
            .filter(bank=bank, status=SiblingGroup.Status.SUGGESTED)
            .count()
            if can_manage
            else 0,
            "total": all_questions.count(),
            "jobs": selectors.import_jobs_visible_to(request.user).filter(bank=bank)[:5],
        },
    )


@pages.route("banks/<id:pk>/export/<str:fmt>/", name="bank_export")
def bank_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    bank = get_object_or_404(selectors.banks_browsable_by(request.user), pk=pk)
    if fmt not in EXPORT_TYPES:
        raise PermissionDenied
    content_type, extension = EXPORT_TYPES[fmt]
    questions = Question.objects.filter(bank=bank, is_active=True)
    stream = io.BytesIO()
    writer = {
        "xlsx": exporters.export_xlsx,
        "csv": exporters.export_csv,
        "gift": exporters.export_gift,
        "aiken": exporters.export_aiken,
    }[fmt]
    writer(questions, stream)
    stream.seek(0)
    return FileResponse(stream, as_attachment=True, filename=f"{bank.code}.{extension}", content_type=content_type)


@pages.route("template.xlsx", name="template")
def template_download(request: HttpRequest) -> HttpResponse:
    return FileResponse(
        io.BytesIO(exporters.template_xlsx()), as_attachment=True, filename="question_template.xlsx", content_type=XLSX
    )


# --- imports -------------------------------------------------------------------


@pages.route("banks/<id:pk>/import/", name="import_upload")
def import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 of 3: keep the upload (nothing is imported yet), then map its columns or preview it."""
    bank = get_object_or_404(selectors.banks_managed_by(request.user), pk=pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_stage(
                bank=bank, user=request.user, upload=upload, valid_only=form.cleaned_data["valid_only"]
            )
        except UploadRejected as exc:
            form.add_error("file", str(exc))
        else:
            wants_map = form.cleaned_data["map_columns"] and services.import_mappable(upload.name)
            if wants_map or services.import_staged_needs_mapping(job=job):
                return redirect("question_bank:import_map", pk=job.pk)
            return redirect("question_bank:import_preview", pk=job.pk)
    return render(request, "question_bank/import_form.html", {"bank": bank, "form": form})


def _back_to_upload(request: HttpRequest, job: ImportJob, exc: Exception) -> HttpResponse:
    """The upload page again, saying why the staged file cannot go on (expired, unreadable)."""
    messages.error(request, str(exc))
    return redirect("question_bank:import_upload", pk=job.bank_id)


def _staged_or_redirect(request: HttpRequest, pk: int) -> tuple[ImportJob | None, HttpResponse | None]:
    """The requester's own staged upload, or where to send them instead: the job page once it
    was confirmed, the upload page (with a message) once it expired."""
    job = get_object_or_404(selectors.staged_imports_of(request.user), pk=pk)
    if job.status != ImportJob.Status.STAGED:
        return None, redirect("question_bank:import_job", pk=job.pk)
    try:
        services.import_staged_check(job=job)
    except services.StagedUploadExpired as exc:
        return None, _back_to_upload(request, job, exc)
    return job, None


@pages.route("imports/<id:pk>/columns/", name="import_map")
def import_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2 (when the header is not recognised, or on request): say which column holds what."""
    job, elsewhere = _staged_or_redirect(request, pk)
    if job is None:
        return elsewhere  # type: ignore[return-value]
    if not services.import_mappable(job.file_name):
        return redirect("question_bank:import_preview", pk=job.pk)
    try:
        staged = services.import_staged_columns(job=job)
    except (services.StagedUploadExpired, UploadRejected, importers.ImportRefused) as exc:
        return _back_to_upload(request, job, exc)
    form = ColumnMapForm(
        request.POST if request.method == "POST" else None,
        columns=staged.columns,
        initial=ColumnMapForm.initial_for(staged.initial),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.import_staged_map(job=job, user=request.user, column_map=form.column_map())
        except ValidationError as exc:
            _form_errors(form, exc)
        except services.StagedUploadExpired as exc:
            return _back_to_upload(request, job, exc)
        else:
            return redirect("question_bank:import_preview", pk=job.pk)
    rows = [
        (
            form[f"col_{index}"],
            importers.column_letter(index),
            title,
            [sample[index] if index < len(sample) else "" for sample in staged.samples],
        )
        for index, title in enumerate(staged.columns)
    ]
    return render(
        request,
        "question_bank/import_map.html",
        {"bank": job.bank, "job": job, "form": form, "rows": rows, "staged": staged},
        status=400 if form.errors else 200,
    )


@pages.route("imports/<id:pk>/preview/", name="import_preview")
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 3: the first questions as a learner will see them, with their keys, and every error;
    nothing is written until the admin confirms."""
    job, elsewhere = _staged_or_redirect(request, pk)
    if job is None:
        return elsewhere  # type: ignore[return-value]
    form = ImportConfirmForm(request.POST if request.method == "POST" else None, initial={"valid_only": job.valid_only})
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_staged_confirm(
                job=job,
                valid_only=form.cleaned_data["valid_only"],
                language=translation.get_language() or "zh-hans",
            )
        except services.StagedUploadExpired as exc:
            return _back_to_upload(request, job, exc)
        return redirect("question_bank:import_job", pk=job.pk)
    refused, preview = "", None
    try:
        preview = services.import_staged_preview(job=job)
    except services.StagedUploadExpired as exc:
        return _back_to_upload(request, job, exc)
    except (UploadRejected, importers.ImportRefused) as exc:
        refused = str(exc)
    result = preview.result if preview else None
    return render(
        request,
        "question_bank/import_preview.html",
        {
            "bank": job.bank,
            "job": job,
            "form": form,
            "refused": refused,
            "result": result,
            "counts": result.counts if result else {},
            "questions": [_preview_question(q) for q in preview.questions] if preview else [],
            "errors": result.errors[:200] if result else [],
            "warnings": result.warnings[:200] if result else [],
            "notices": result.notices[:200] if result else [],
            "more": result is not None and max(len(result.errors), len(result.warnings), len(result.notices)) > 200,
            "ignored_columns": result.ignored_columns if result else [],
            "mappable": services.import_mappable(job.file_name),
            "mapped": job.column_map is not None,
        },
    )


def _preview_question(q: importers.CleanQuestion) -> dict[str, Any]:
    """A clean question as the practice page shows it, and its key as the answer line shows it."""
    if q.type == QuestionType.TRUE_FALSE:
        options: list[tuple[str, str]] = [("", "正确"), ("", "错误")]
        key = "正确" if q.answer else "错误"
    else:
        options = list(zip(OPTION_LETTERS, q.options, strict=False))
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            key = "、".join(f"{c}. {q.options[OPTION_LETTERS.index(c)]}" for c in q.answer)
        elif q.type == QuestionType.FILL_BLANK:
            key = "；".join(" / ".join(blank) for blank in q.answer)
        else:  # a type added later (a subjective question's reference answer…): its written form
            key = q.answer if isinstance(q.answer, str) else importers.answer_text(q.type, q.answer)
    return {
        "row": q.row,
        "type_display": QuestionType(q.type).label if q.type in QuestionType.values else q.type,
        "stem": q.stem,
        "options": options,
        "key": key,
        "explanation": q.explanation,
        "knowledge_point": q.knowledge_point,
        "difficulty": q.difficulty,
    }


def _job_status(job: ImportJob) -> dict[str, Any]:
    progress = job.progress
    if job.status == ImportJob.Status.RUNNING:
        progress = max(progress, cache.get(services.job_progress_key(job.pk)) or 0)
    return {
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": progress,
        "finished": job.is_finished,
        "counts": job.counts(),
        "refused": job.result.get("refused", ""),
        "written": job.result.get("written", False),
    }


@pages.route("imports/<id:pk>/", name="import_job")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(selectors.import_jobs_visible_to(request.user), pk=pk)
    if job.status == ImportJob.Status.STAGED and job.created_by_id == request.user.pk:
        return redirect("question_bank:import_preview", pk=job.pk)
    errors = job.result.get("errors", [])
    warnings = job.result.get("warnings", [])
    notices = job.result.get("notices", [])
    return render(
        request,
        "question_bank/import_job.html",
        {
            "job": job,
            "state": _job_status(job),
            "errors": errors[:200],
            "warnings": warnings[:200],
            "notices": notices[:200],
            "more": max(len(errors), len(warnings), len(notices)) > 200,
            "ignored_columns": job.result.get("ignored_columns", []),
        },
    )


@pages.route("imports/<id:pk>/status/", name="import_job_status")
def import_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(selectors.import_jobs_visible_to(request.user), pk=pk)
    return JsonResponse(_job_status(job))


@pages.route("imports/<id:pk>/errors.xlsx", name="import_job_errors")
def import_job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(selectors.import_jobs_visible_to(request.user), pk=pk)
    data = exporters.error_report_xlsx(
        job.result.get("errors", []), job.result.get("warnings", []), job.result.get("notices", [])
    )
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=f"import-{job.pk}-errors.xlsx", content_type=XLSX
    )


# --- questions -----------------------------------------------------------------


@pages.route("banks/<id:pk>/questions/new/", name="question_new")
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add one question to a bank by hand (the same checks as an imported row)."""
    bank = get_object_or_404(selectors.banks_managed_by(request.user), pk=pk)
    form = QuestionForm(request.POST or None, request.FILES or None)
    del form.fields["remove_image"]  # nothing to remove yet
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # a refused picture adds no question
                question = services.question_create(bank=bank, values=form.import_values(), source=_("added by hand"))
                if form.cleaned_data["image"]:
                    services.question_set_image(question=question, image=form.cleaned_data["image"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Question %(question)s added.") % {"question": question_label(question)})
            if "another" in request.POST:
                return redirect("question_bank:question_new", pk=bank.pk)
            return redirect(_question_on_bank_page(question))
    return render(
        request,
        "question_bank/question_form.html",
        {"form": form, "question": None, "bank": bank, "ui": question_form_ui()},
    )


@pages.route("questions/<id:pk>/edit/", name="question_edit")
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(selectors.questions_managed_by(request.user), pk=pk)
    form = QuestionForm(request.POST or None, request.FILES or None, initial=QuestionForm.initial_for(question))
    if request.method == "POST" and form.is_valid():
        try:
            image = form.cleaned_data["image"]
            replaced = bool(image or form.cleaned_data["remove_image"])
            # A new (or no) picture is the one the edit is checked with: the stored one may be gone.
            picture = services.upload_bytes(image) if image else None
            with transaction.atomic():  # a refused picture leaves the text unchanged too
                services.question_update(
                    question=question, values=form.import_values(), picture=picture if replaced else "kept"
                )
                if replaced:
                    services.question_set_image(question=question, image=image)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Question %(question)s saved (version %(version)d).")
                % {"question": question_label(question), "version": question.version},
            )
            return redirect(_question_on_bank_page(question))
    return render(
        request, "question_bank/question_form.html", {"form": form, "question": question, "ui": question_form_ui()}
    )


def _question_on_bank_page(question: Question) -> str:
    """The bank page (unfiltered, by number, 30 a page as ``bank_detail``) at the question's card."""
    from django.urls import reverse

    before = Question.objects.filter(bank_id=question.bank_id, pk__lt=question.pk).count()
    url = reverse("question_bank:bank_detail", kwargs={"pk": question.bank_id})
    page = before // BANK_PAGE_SIZE + 1
    return f"{url}{f'?page={page}' if page > 1 else ''}#q-{question.pk}"


@pages.route("questions/<id:pk>/image/", name="question_image")
def question_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The stem's picture, streamed only to those who may see the question (media/ is not served)."""
    visible = selectors.questions_visible_to(request.user).filter(pk=pk)
    practised = selectors.practice_questions_for(request.user).filter(pk=pk)
    question = visible.first() or practised.first()
    if question is None or not question.image:
        raise Http404
    return FileResponse(stored_file(question.image))


@pages.post("questions/<id:pk>/active/", name="question_set_active")
def question_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(selectors.questions_managed_by(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    services.question_set_active(question=question, active=active)
    messages.success(request, _("Question restored.") if active else _("Question retired."))
    return redirect("question_bank:bank_detail", pk=question.bank_id)


# --- practice ------------------------------------------------------------------


def _learner_banks(request: HttpRequest) -> Any:
    if org_selectors.person_of(request.user) is None:
        raise PermissionDenied
    return selectors.banks_practisable_by(request.user)


@pages.route("practice/", name="practice_home")
def practice_home(request: HttpRequest) -> HttpResponse:
    banks = _learner_banks(request)
    form = PracticeStartForm(request.POST or None, banks=banks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        questions = selectors.practice_questions_for(request.user).filter(bank=data["bank"])
        if data["knowledge_point"]:
            questions = questions.filter(knowledge_point=data["knowledge_point"])
        if data["industry"]:
            questions = questions.filter(selectors.tag_q("industry_tags", data["industry"]))
        session = services.practice_start(
            user=request.user,
            bank=data["bank"],
            questions=questions,
            mode=data["mode"],
            knowledge_point=data["knowledge_point"],
            industry=data["industry"],
        )
        if not session.question_ids:
            messages.warning(request, _("No questions match this choice."))
        else:
            return redirect("question_bank:practice_question", pk=session.pk)
    questions = selectors.practice_questions_for(request.user)
    return render(
        request,
        "question_bank/practice_home.html",
        {
            "form": form,
            "banks": banks,
            "knowledge_points": selectors.knowledge_points(questions),
            "industries": selectors.industry_tags(questions),
            "accuracy": selectors.accuracy_by_knowledge_point(request.user),
            "wrong_count": selectors.wrong_answer_count(request.user),
        },
    )


def _given_from_post(question: Question, post: Any) -> Any:
    if question.type == QuestionType.SUBJECTIVE:
        return post.get("text", "")
    if question.type == QuestionType.MULTIPLE:
        return "".join(post.getlist("choice"))
    if question.type == QuestionType.FILL_BLANK:
        return [post.get(f"blank{i}", "") for i in range(len(question.answer))]
    return post.get("choice", "")


@pages.route("practice/<id:pk>/", name="practice_question")
def practice_question(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(selectors.practice_sessions_of(request.user), pk=pk)
    if session.finished:
        return render(request, "question_bank/practice_done.html", {"session": session})
    question_id = session.question_ids[session.position]
    question = selectors.practice_questions_for(request.user).filter(pk=question_id).first()
    if question is None:  # retired or unshared since the session began: skip it
        PracticeSession.objects.filter(pk=session.pk, position=session.position).update(position=session.position + 1)
        return redirect("question_bank:practice_question", pk=session.pk)
    outcome = None
    answer_error = ""
    subjective = question.type == QuestionType.SUBJECTIVE
    if request.method == "POST":
        if request.POST.get("question") != str(question.pk):
            return redirect("question_bank:practice_question", pk=session.pk)
        try:
            if subjective and request.POST.get("mastered") in ("1", "0"):
                outcome = services.practice_self_mark(
                    user=request.user, question=question, mastered=request.POST["mastered"] == "1", session=session
                )
            else:
                outcome = services.practice_answer(
                    user=request.user,
                    question=question,
                    given=_given_from_post(question, request.POST),
                    session=session,
                )
        except ValidationError as exc:
            answer_error = " ".join(exc.message_dict.get("answer", exc.messages))
        else:
            session.refresh_from_db()
    elif subjective:
        # Written and revealed already (a reload before the self-mark): the same page again.
        pending = services.practice_pending_answer(user=request.user, question=question, session=session)
        if pending is not None:
            outcome = services.PracticeOutcome(question, pending.given, None)
    return render(
        request,
        "question_bank/practice_question.html",
        {
            "session": session,
            "question": question,
            "number": session.position if outcome and not outcome.awaiting_self_mark else session.position + 1,
            "outcome": outcome,
            "answer_display": _answer_display(question) if outcome else "",
            "given_display": _given_display(question, outcome.given) if outcome else "",
            "choices": _choices(question),
            "blanks": range(len(question.answer)) if question.type == QuestionType.FILL_BLANK else [],
            "answer_error": answer_error,
            "written": request.POST.get("text", "") if answer_error else "",
        },
        status=400 if answer_error else 200,
    )


def _choices(question: Question) -> list[tuple[str, str]]:
    if question.type == QuestionType.TRUE_FALSE:
        return [
            ("正确", pgettext("short form", "True") + " · 正确"),
            ("错误", pgettext("short form", "False") + " · 错误"),
        ]
    return question.lettered_options


def _answer_display(question: Question) -> str:
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return "、".join(f"{c}. {question.options[OPTION_LETTERS.index(c)]}" for c in question.answer)
    if question.type == QuestionType.TRUE_FALSE:
        return "正确" if question.answer else "错误"
    if question.type == QuestionType.SUBJECTIVE:
        return question.answer
    return "；".join(" / ".join(blank) for blank in question.answer)


def _given_display(question: Question, given: Any) -> str:
    if question.type == QuestionType.TRUE_FALSE:
        return {True: "正确", False: "错误"}.get(given, "—")
    if question.type == QuestionType.FILL_BLANK:
        return "；".join(given) or "—"
    return given or "—"  # letters, or a subjective answer's text


# --- sibling questions -----------------------------------------------------------


@pages.route("banks/<id:pk>/siblings/", name="bank_siblings")
def bank_siblings(request: HttpRequest, pk: int) -> HttpResponse:
    """The bank's sibling groups, texts side by side, to confirm or split; POST re-scans the bank."""
    bank = get_object_or_404(selectors.banks_managed_by(request.user), pk=pk)
    if request.method == "POST":
        result = siblings.siblings_scan_soon(bank=bank)
        if result is None:
            messages.success(
                request, _("The bank is large: it is being scanned in the background. Reload in a minute.")
            )
        else:
            messages.success(
                request,
                _("Scanned %(scanned)d questions: %(groups)d sibling groups, %(suggested)d waiting for your decision.")
                % {"scanned": result.scanned, "groups": result.groups, "suggested": result.suggested},
            )
        return redirect("question_bank:bank_siblings", pk=bank.pk)
    status = request.GET.get("status", "")
    groups = selectors.sibling_groups_visible_to(request.user).filter(bank=bank)
    counts = {s: groups.filter(status=s).count() for s in SiblingGroup.Status.values}
    if status in SiblingGroup.Status.values:
        groups = groups.filter(status=status)
    page = Paginator(groups.order_by("-status", "-similarity", "pk"), 10).get_page(request.GET.get("page"))
    members = selectors.sibling_members_of(page.object_list)
    shown = {
        group_id: [(m, answer_display(m.question.type, m.question.answer, m.question.options)) for m in found]
        for group_id, found in members.items()
    }
    return render(
        request,
        "question_bank/bank_siblings.html",
        {
            "bank": bank,
            "page": page,
            "rows": [(group, shown.get(group.pk, [])) for group in page],
            "status": status,
            "counts": counts,
            "total": sum(counts.values()),
            "pending_ids": [group.pk for group in page if group.status == SiblingGroup.Status.SUGGESTED],
            "splits": _split_entries(
                list(selectors.sibling_splits_visible_to(request.user).filter(question__bank=bank)[:60])
            ),
        },
    )


@pages.post("siblings/<id:pk>/confirm/", name="sibling_confirm")
def sibling_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(selectors.sibling_groups_visible_to(request.user), pk=pk)
    siblings.sibling_group_confirm(group=group, user=request.user)
    messages.success(request, _("Confirmed: a paper or spot test draws at most one of these questions."))
    return redirect(_siblings_back(request, group.bank_id))


@pages.post("siblings/<id:pk>/split/", name="sibling_split")
def sibling_split(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(selectors.sibling_groups_visible_to(request.user), pk=pk)
    question_id = request.POST.get("question", "")
    try:
        left = siblings.sibling_split(
            group=group, question_id=int(question_id) if question_id.isdigit() else 0, user=request.user
        )
    except siblings.SiblingRefused as exc:
        messages.error(request, exc.message)
    else:
        question = Question.objects.get(pk=question_id)
        label = {"question": question_label(question)}
        messages.success(
            request,
            _("Split out %(question)s; a re-scan will not group it with them again. Undo below under “Split apart”.")
            % label
            if left is not None
            else _(
                "Split out %(question)s; the group held only two questions and is gone. Undo below under “Split apart”."
            )
            % label,
        )
    return redirect(_siblings_back(request, group.bank_id))


@pages.post("banks/<id:pk>/siblings/confirm/", name="sibling_confirm_all")
def sibling_confirm_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the suggested groups the trainer saw on the page (their ids come with the form)."""
    bank = get_object_or_404(selectors.banks_managed_by(request.user), pk=pk)
    ids = [int(value) for value in request.POST.getlist("group") if value.isdigit()]
    groups = selectors.sibling_groups_visible_to(request.user).filter(bank=bank, pk__in=ids)
    confirmed = siblings.sibling_groups_confirm(groups=groups, user=request.user)
    messages.success(request, _("Confirmed %(count)d sibling groups.") % {"count": confirmed})
    return redirect(_siblings_back(request, bank.pk))


@pages.post("sibling-splits/<id:pk>/undo/", name="sibling_split_undo")
def sibling_split_undo(request: HttpRequest, pk: int) -> HttpResponse:
    split = get_object_or_404(selectors.sibling_splits_visible_to(request.user), pk=pk)
    bank_id = split.question.bank_id
    out, _batch = siblings.sibling_split_batch(split=split)
    question = split.other if out in (None, split.other_id) else split.question
    siblings.sibling_split_undo(split=split)
    messages.success(
        request, _("Restored %(question)s: a scan may group it again.") % {"question": question_label(question)}
    )
    return redirect(_siblings_back(request, bank_id))


def _split_entries(splits: list[Any]) -> list[tuple[Any, Question, list[Question]]]:
    """Each "split out" once: (a pair to undo it by, the question split out, the ones it left)."""
    entries, seen = [], set()
    questions = {s.question_id: s.question for s in splits} | {s.other_id: s.other for s in splits}
    for split in splits:
        if split.pk in seen:
            continue
        out, batch = siblings.sibling_split_batch(split=split, among=splits)
        seen.update(s.pk for s in batch)
        out = out or split.other_id
        left = sorted({q for s in batch for q in (s.question_id, s.other_id)} - {out})
        entries.append((split, questions[out], [questions[q] for q in left]))
    return entries


def _siblings_back(request: HttpRequest, bank_id: int) -> str:
    """The siblings page the form was on, its filter and page kept."""
    from urllib.parse import urlencode

    from django.urls import reverse

    query = {}
    if request.POST.get("status") in SiblingGroup.Status.values:
        query["status"] = request.POST["status"]
    if request.POST.get("page", "").isdigit():
        query["page"] = request.POST["page"]
    base = reverse("question_bank:bank_siblings", kwargs={"pk": bank_id})
    return f"{base}?{urlencode(query)}" if query else base
