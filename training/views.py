"""Training pages: learner dashboard, course and lesson player, enterprise
dashboard, assignment, ledger export, public learners. Thin: scope, call one
service or selector, render."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import mainland_mobile
from core import fragments
from core.http import file_is_stored
from core.ids import query_id
from core.spreadsheets import Sheet, spreadsheet_response
from organizations import selectors as org
from organizations.models import Jurisdiction, Person
from training import selectors
from training.file_responses import lesson_media_response, lesson_page_response, page_url_pattern
from training.forms import quiz_answers_from_post
from training.models import Assignment, Course, Lesson, Plan, PublicLearner, QuizAttempt, ledger_source_text
from training.routes import pages, public
from training.services import public as public_services
from training.services.assignments import assign_to_people
from training.services.crediting import quiz_attempt_open, quiz_attempt_submit
from training.services.errors import QuizUnavailable
from training.services.public import public_learner_register

ADMIN_ROLES = {"platform_admin", "bureau_official", "enterprise_admin", "training_admin"}


# --- Learner ------------------------------------------------------------------------------


@pages.route("", name="dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    rows = selectors.my_assignments(request.user)
    today = timezone.localdate()
    lessons = {
        lesson.pk: lesson
        for lesson in Lesson.objects.filter(pk__in=[s.next_lesson_id for _, s in rows if s.next_lesson_id])
    }
    items = []
    reminders = []
    for assignment, summary in rows:
        overdue = selectors.is_overdue(assignment, today)
        days_left = (assignment.due_date - today).days if assignment.due_date else None
        if assignment.status != Assignment.Status.COMPLETED and days_left is not None:
            if overdue:
                reminders.append(
                    _("“%(title)s” was due on %(due)s.") % {"title": assignment.title, "due": assignment.due_date}
                )
            elif days_left <= settings.TRAINING_REMINDER_DAYS:
                reminders.append(
                    _("“%(title)s” is due in %(days)d days.") % {"title": assignment.title, "days": days_left}
                )
        items.append(
            {
                "assignment": assignment,
                "summary": summary,
                "overdue": overdue,
                "next_lesson": lessons.get(summary.next_lesson_id),
                "credit_text": selectors.credit_progress_text(
                    earned_minutes=summary.credited_minutes, required_minutes=summary.required_minutes
                ),
                # The minutes beside the 学时, unless the 学时 are already written in minutes.
                "in_minutes": selectors.under_a_tenth_of_an_hour(summary.required_minutes),
            }
        )
    public = PublicLearner.objects.filter(user=request.user).select_related("jurisdiction").first()
    return render(
        request,
        "training/dashboard.html",
        {
            "items": items,
            "reminders": reminders,
            "public": public,
            "minutes_per_hour": settings.MINUTES_PER_CREDIT_HOUR,
            # Other apps' parts of the page (classroom: the classes the learner is invited to).
            "page_fragments": fragments.render(fragments.TRAINING_DASHBOARD, request=request),
        },
    )


@pages.route("courses/<id:pk>/", name="course_detail")
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(selectors.courses_visible_to(request.user), pk=pk)
    chapters = list(
        course.chapters.prefetch_related(Prefetch("lessons", queryset=Lesson.objects.filter(retired=False)))
    )
    lessons = [lesson for chapter in chapters for lesson in chapter.lessons.all()]
    progress = selectors.lesson_progress_for(request.user, lessons)
    eligibility = selectors.is_eligible_for_exam(person=request.user, course=course)
    assigned = bool(lessons) and selectors.lesson_is_assigned(user=request.user, lesson=lessons[0])
    return render(
        request,
        "training/course_detail.html",
        {
            "course": course,
            "chapters": [
                (chapter, [(lesson, progress.get(lesson.pk)) for lesson in chapter.lessons.all()])
                for chapter in chapters
            ],
            "eligibility": eligibility,
            "assigned": assigned,
            "can_edit": selectors.courses_managed_by(request.user).filter(pk=course.pk).exists(),
        },
    )


@pages.route("lessons/<id:pk>/", name="lesson_player")
def lesson_player(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(selectors.lessons_visible_to(request.user), pk=pk)
    assigned = selectors.lesson_is_assigned(user=request.user, lesson=lesson)
    siblings = list(Lesson.objects.filter(chapter__course=lesson.chapter.course_id, retired=False))
    index = next((i for i, item in enumerate(siblings) if item.pk == lesson.pk), len(siblings))
    progress = selectors.lesson_progress_for(request.user, [lesson]).get(lesson.pk)
    return render(
        request,
        "training/lesson_player.html",
        {
            "lesson": lesson,
            "course": lesson.chapter.course,
            "assigned": assigned,
            "next_lesson": siblings[index + 1] if index + 1 < len(siblings) else None,
            **_document_pages(lesson),
            "media_missing": _media_missing(lesson),
            "quiz_ready": selectors.lesson_study_done(lesson, progress),
            "quiz_passed": bool(progress and progress.quiz_passed),
        },
    )


def _media_missing(lesson: Lesson) -> bool:
    """A video or document lesson whose file storage no longer holds (purged, restored from a backup without
    its files): the page says so and shows no player, so nobody studies, nor is credited for, a blank."""
    if lesson.kind not in (Lesson.Kind.VIDEO, Lesson.Kind.DOCUMENT):
        return False
    return not file_is_stored(lesson.media)


def _document_pages(lesson: Lesson) -> dict[str, str]:
    if lesson.kind != Lesson.Kind.DOCUMENT or not lesson.media:
        return {}
    pattern = page_url_pattern("training:lesson_page", lesson.pk, version=lesson.media.name)
    return {"page_url": pattern, "first_page_url": pattern.format(page=1)}


@pages.route("lessons/<id:pk>/quiz/", name="lesson_quiz", methods=("GET", "POST"))
def lesson_quiz(request: HttpRequest, pk: int) -> HttpResponse:
    """The lesson's quiz, once its time is earned: questions drawn on the
    server, shown without their answers, graded on the server on submit.
    A failed quiz may be retried with a fresh draw."""
    lesson = get_object_or_404(selectors.lessons_visible_to(request.user).filter(retired=False), pk=pk)
    if not lesson.has_quiz:
        raise Http404
    if not selectors.lesson_is_assigned(user=request.user, lesson=lesson):
        raise PermissionDenied
    context: dict[str, Any] = {"lesson": lesson, "course": lesson.chapter.course}
    shown = query_id(request.GET, "attempt")
    if request.method == "GET" and shown is not None:
        attempt = get_object_or_404(
            selectors.quiz_attempts_of(request.user).filter(lesson=lesson, submitted_at__isnull=False), pk=shown
        )
        return render(request, "training/lesson_quiz.html", {**context, **_quiz_result(attempt)})
    progress = selectors.lesson_progress_for(request.user, [lesson]).get(lesson.pk)
    if progress is not None and progress.quiz_passed:
        return render(request, "training/lesson_quiz.html", {**context, "state": "passed"})
    if not selectors.lesson_study_done(lesson, progress):
        return render(
            request,
            "training/lesson_quiz.html",
            {**context, "state": "not_ready", "earned": (progress.credited_seconds // 60) if progress else 0},
        )
    try:
        attempt = quiz_attempt_open(user=request.user, lesson=lesson)
    except QuizUnavailable as exc:
        return render(request, "training/lesson_quiz.html", {**context, "state": "unavailable", "reason": str(exc)})
    questions = _quiz_questions(attempt)
    if request.method == "POST":
        if request.POST.get("attempt") != str(attempt.pk):
            messages.error(request, _("This quiz page was out of date; here is your current quiz."))
            return redirect("training:lesson_quiz", pk=lesson.pk)
        try:
            attempt = quiz_attempt_submit(attempt=attempt, answers=quiz_answers_from_post(request.POST, questions))
        except ValidationError as exc:
            errors = exc.message_dict
            return render(
                request,
                "training/lesson_quiz.html",
                {
                    **context,
                    "state": "open",
                    "attempt": attempt,
                    "questions": [{**_quiz_item(q), "errors": errors.get(f"q{q.pk}", [])} for q in questions],
                    "quiz_error": _("Some answers could not be read: check the marked questions."),
                },
                status=400,
            )
        return redirect(f"{reverse('training:lesson_quiz', args=[lesson.pk])}?attempt={attempt.pk}")
    return render(
        request,
        "training/lesson_quiz.html",
        {**context, "state": "open", "attempt": attempt, "questions": [_quiz_item(q) for q in questions]},
    )


def _quiz_questions(attempt: QuizAttempt) -> list[Any]:
    from question_bank.models import AUTO_GRADED_TYPES, Question

    found = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids, type__in=AUTO_GRADED_TYPES)}
    return [found[pk] for pk in attempt.question_ids if pk in found]


def _quiz_item(question: Any) -> dict[str, Any]:
    """What the page shows of a question: never its answer or explanation."""
    from question_bank.models import QuestionType

    if question.type == QuestionType.TRUE_FALSE:
        choices = [("正确", _("True")), ("错误", _("False"))]
    else:
        choices = [(letter, f"{letter}. {text}") for letter, text in question.lettered_options]
    return {
        "pk": question.pk,
        "type": question.type,
        "type_label": question.get_type_display(),
        "stem": question.stem,
        "choices": choices,
        "blanks": range(len(question.answer)) if question.type == QuestionType.FILL_BLANK else [],
    }


def _quiz_result(attempt: QuizAttempt) -> dict[str, Any]:
    rows = []
    for question in _quiz_questions(attempt):
        graded = attempt.answers.get(str(question.pk), {})
        rows.append({"stem": question.stem, "correct": graded.get("correct", True)})
    return {"state": "result", "attempt": attempt, "rows": rows}


@pages.get("lessons/<id:pk>/media/", name="lesson_media")
def lesson_media(request: HttpRequest, pk: int) -> HttpResponse:
    """Stream a lesson's private file to whoever may open the lesson, with
    HTTP Range support so a video can be scrubbed (within what was watched)."""
    lesson = get_object_or_404(selectors.lessons_visible_to(request.user), pk=pk)
    return lesson_media_response(request, lesson)


@pages.get("lessons/<id:pk>/pages/<id:number>/", name="lesson_page")
def lesson_page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One page of a document lesson as an image, to whoever may open the lesson (phones cannot show a
    PDF inside the player)."""
    lesson = get_object_or_404(selectors.lessons_visible_to(request.user), pk=pk)
    return lesson_page_response(lesson, number)


# --- Enterprise dashboard ------------------------------------------------------------------


def _require_admin(request: HttpRequest) -> set[str]:
    roles = org.roles_of(request.user)
    if not roles & ADMIN_ROLES:
        raise PermissionDenied
    return roles


def _bar_chart(items: list[tuple[str, int, int]], *, unit: str = "%") -> dict[str, Any]:
    """Horizontal bars for an inline SVG: (label, value, max). A narrow drawing (300 wide) with large
    text, so that a phone shows it at about 15 px."""
    bars = []
    for index, (label, value, top) in enumerate(items):
        width = 0 if top <= 0 else round(BAR_WIDTH * value / top)
        bars.append({"label": label, "value": value, "width": width, "y": 6 + index * 34, "unit": unit})
    return {"bars": bars, "height": 12 + 34 * len(items)}


BAR_WIDTH = 130
EMPLOYEES_PER_PAGE = 50


@pages.route("enterprise/", name="enterprise_dashboard")
def enterprise_dashboard(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    enterprises = org.enterprises_visible_to(request.user)
    managed = org.enterprises_managed_by(request.user)
    enterprise = None
    chosen = query_id(request.GET, "enterprise")
    if chosen is not None:
        enterprise = enterprises.filter(pk=chosen).first()
    elif managed.count() == 1:
        enterprise = managed.first()
    department = request.GET.get("department", "").strip()
    post = request.GET.get("post", "")
    status = request.GET.get("status", "")
    # The counts and charts read every employee in scope; the filters choose the list, which is paged.
    all_rows = selectors.employee_progress(request.user, enterprise=enterprise)
    rows = selectors.employee_rows_matching(all_rows, department=department, post=post, status=status)
    page = Paginator(rows, EMPLOYEES_PER_PAGE).get_page(request.GET.get("page"))
    counts = Counter(row.status for row in all_rows)
    status_labels = {
        "completed": _("Completed"),
        "on_track": _("On track"),
        "overdue": _("Overdue"),
        "none": _("Nothing assigned"),
    }
    departments: dict[str, list[int]] = {}
    for row in all_rows:
        departments.setdefault(row.person.department or _("(no department)"), []).append(row.percent)
    department_chart = _bar_chart(
        [(name, round(sum(values) / len(values)), 100) for name, values in sorted(departments.items())]
    )
    status_chart = _bar_chart(
        [(status_labels[key], counts.get(key, 0), max(1, len(all_rows))) for key in status_labels], unit=""
    )
    overdue = [row for row in all_rows if row.status == "overdue"]
    department_names = sorted({row.person.department for row in all_rows if row.person.department})
    return render(
        request,
        "training/enterprise_dashboard.html",
        {
            "page": page,
            "rows": page.object_list,
            "overdue": overdue,
            "enterprise": enterprise,
            "enterprises": enterprises[:200],
            "departments": department_names,
            "posts": Person.Post.choices,
            "statuses": status_labels,
            "filters": {"department": department, "post": post, "status": status},
            "status_chart": status_chart,
            "department_chart": department_chart,
            "counts": counts,
            "total": len(all_rows),
            "minutes_per_hour": settings.MINUTES_PER_CREDIT_HOUR,
            "can_assign": managed.exists(),
            "can_build": selectors.can_build_courses(request.user),
        },
    )


@pages.get("ledger/export/", name="ledger_export")
def ledger_export(request: HttpRequest) -> HttpResponse:
    """Every credited span the user may see, as CSV or XLSX (?as=xlsx). No ID numbers."""
    entries = selectors.ledger_visible_to(request.user)
    chosen = query_id(request.GET, "enterprise")
    if chosen is not None:
        entries = entries.filter(learner__person__enterprise_id=chosen)
    columns = [
        _("Learner"),
        _("Enterprise"),
        _("Course"),
        _("Lesson"),
        _("From"),
        _("To"),
        _("Seconds"),
        _("Minutes"),
        _("Method"),
        _("How it was counted"),
    ]
    tz = timezone.get_current_timezone()

    def rows() -> Iterator[list[object]]:
        for entry in entries.order_by("started_at", "pk").iterator(chunk_size=2000):
            person = getattr(entry.learner, "person", None)
            lesson = entry.lesson  # none for a classroom entry: its class's topic stands in the lesson column
            yield [
                str(entry.learner),
                person.enterprise.name if person else "",
                lesson.chapter.course.title if lesson else "",
                lesson.title if lesson else ledger_source_text(entry.source),
                entry.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                entry.ended_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                entry.seconds,
                round(entry.seconds / 60, 2),
                entry.get_method_display(),
                entry.detail,
            ]

    kind = "xlsx" if request.GET.get("as") == "xlsx" else "csv"
    return spreadsheet_response(
        kind=kind,
        sheets=[Sheet(title="ledger", columns=columns, rows=rows())],
        filename=f"credit-ledger-{timezone.localdate().isoformat()}",
    )


class _PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.department}" if obj.department else obj.name


class AssignForm(forms.Form):
    """What to assign and to whom. The ways of picking people offered are those that can pick
    someone (a post or department with nobody active in it is not listed)."""

    TARGETS = [
        ("post", gettext_lazy("Everyone in a post")),
        ("department", gettext_lazy("Everyone in a department")),
        ("people", gettext_lazy("Chosen people")),
    ]

    what = forms.ChoiceField(label=gettext_lazy("Course or plan"))
    target = forms.ChoiceField(label=gettext_lazy("Assign to"), choices=TARGETS, widget=forms.RadioSelect)
    post = forms.ChoiceField(label=gettext_lazy("Post"), choices=[("", "—"), *Person.Post.choices], required=False)
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    people = _PersonChoiceField(
        label=gettext_lazy("People"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_date = forms.DateField(
        label=gettext_lazy("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, enterprise: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        courses = selectors.courses_available_to_enterprise(enterprise).order_by("title")
        plans = Plan.objects.filter(enterprise=enterprise).order_by("name")
        groups = [
            (gettext_lazy("Plans"), [(f"plan:{p.pk}", p.name) for p in plans]),
            (gettext_lazy("Courses"), [(f"course:{c.pk}", c.title) for c in courses]),
        ]
        self.fields["what"].choices = [(label, options) for label, options in groups if options]
        self.has_training = any(options for _label, options in groups)
        active = enterprise.people.filter(leave_date__isnull=True)
        self.fields["people"].queryset = active.order_by("name", "pk")
        self.has_people = active.exists()
        post_counts = Counter(active.values_list("post", flat=True))
        self.fields["post"].choices = [
            (value, _("%(post)s (%(count)d people)") % {"post": label, "count": post_counts[value]})
            for value, label in Person.Post.choices
            if post_counts[value]
        ]
        department_counts = Counter(d.strip() for d in active.values_list("department", flat=True) if d.strip())
        self.fields["department"].choices = [
            (name, _("%(department)s (%(count)d people)") % {"department": name, "count": count})
            for name, count in sorted(department_counts.items())
        ]
        targets = [
            (value, label)
            for value, label in self.TARGETS
            if value != "department" or department_counts  # no department recorded: nothing to choose from
        ]
        self.fields["target"].choices = targets
        self.fields["target"].initial = targets[0][0]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, _sep, pk = (data.get("what") or "").partition(":")
        if kind == "plan":
            data["plan"] = Plan.objects.filter(enterprise=self.enterprise, pk=pk).first()
        elif kind == "course":
            data["course"] = selectors.courses_available_to_enterprise(self.enterprise).filter(pk=pk).first()
        if not (data.get("plan") or data.get("course")):
            raise ValidationError(_("Choose a course or plan."))
        people = self.enterprise.people.filter(leave_date__isnull=True)
        target = data.get("target")
        if target == "post":
            if not data.get("post"):
                self.add_error("post", _("Choose a post."))
            people = people.filter(post=data.get("post"))
        elif target == "department":
            if not data.get("department"):
                self.add_error("department", _("Enter a department."))
            people = people.filter(department=data.get("department", "").strip())
        else:
            people = data.get("people") or people.none()
        data["selected"] = list(people)
        if not self.errors and not data["selected"]:
            raise ValidationError(_("Nobody matches this selection."))
        return data


@pages.route("assign/", name="assign", methods=("GET", "POST"))
def assign(request: HttpRequest) -> HttpResponse:
    managed = org.enterprises_managed_by(request.user).order_by("name", "pk")
    if not managed.exists():
        raise PermissionDenied
    several = managed[:2].count() > 1
    chosen = query_id(request.GET, "enterprise") or query_id(request.POST, "enterprise")
    if chosen is None and several:
        # Whoever manages several enterprises says which one: none is picked for them.
        return render(request, "training/assign.html", {"form": None, "enterprise": None, "enterprises": managed})
    enterprise = managed.filter(pk=chosen).first() if chosen is not None else managed.first()
    if enterprise is None:
        raise Http404
    form = AssignForm(request.POST or None, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = assign_to_people(
            people=data["selected"],
            course=data.get("course"),
            plan=data.get("plan"),
            due_date=data.get("due_date"),
            assigned_by=request.user,
        )
        if created:
            messages.success(request, _("Assigned to %(count)d people.") % {"count": created})
        else:
            messages.info(request, _("Everyone chosen already has this training: nothing new was assigned."))
        return redirect(f"{request.path}?enterprise={enterprise.pk}")
    return render(
        request,
        "training/assign.html",
        {
            "form": form,
            "enterprise": enterprise,
            "several": several,
            "can_build": selectors.can_build_courses(request.user),
        },
    )


# --- Public learners -----------------------------------------------------------------------


class PublicRegisterForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(
        label=gettext_lazy("Where you live"), queryset=Jurisdiction.objects.none(), empty_label=None
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64)
    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=11, validators=[mainland_mobile])
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, min_length=8)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only jurisdictions where some public course is open.
        paths = Course.objects.filter(is_public=True, published=True, shared_with__isnull=False).values_list(
            "shared_with__path", flat=True
        )
        q = Jurisdiction.objects.none()
        for path in set(paths):
            q = q | Jurisdiction.objects.filter(path__startswith=path)
        self.fields["jurisdiction"].queryset = q.order_by("path")

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        from accounts.models import User

        if User.objects.filter(phone=phone).exists():
            raise ValidationError(_("This phone number is already registered: sign in instead."))
        return phone


@public.route("register/", name="register", methods=("GET", "POST"), login=False)
def public_register(request: HttpRequest) -> HttpResponse:
    """Residents register themselves with a phone number for public courses
    (e.g. first aid). Anonymous by design; creates a login with no role."""
    if request.user.is_authenticated:
        return redirect("training:public_courses")
    form = PublicRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            learner = public_learner_register(
                jurisdiction=data["jurisdiction"], name=data["name"], phone=data["phone"], password=data["password"]
            )
        login(request, learner.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("training:public_courses")
    return render(request, "training/public_register.html", {"form": form})


@pages.route("public/", name="public_courses")
def public_courses(request: HttpRequest) -> HttpResponse:
    public = PublicLearner.objects.filter(user=request.user).select_related("jurisdiction").first()
    if public is None:
        raise PermissionDenied
    courses = selectors.public_courses_for(public.jurisdiction.path)
    enrolled = set(
        Assignment.objects.filter(learner=request.user, course__in=courses)
        .exclude(status=Assignment.Status.CANCELLED)
        .values_list("course_id", flat=True)
    )
    return render(request, "training/public_courses.html", {"courses": courses, "enrolled": enrolled, "public": public})


@pages.post("public/courses/<id:pk>/enrol/", name="public_enrol")
def public_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    public = PublicLearner.objects.filter(user=request.user).select_related("jurisdiction").first()
    if public is None:
        raise PermissionDenied
    course = get_object_or_404(selectors.public_courses_for(public.jurisdiction.path), pk=pk)
    public_services.public_enrol(user=request.user, course=course)
    return redirect("training:course_detail", pk=course.pk)
