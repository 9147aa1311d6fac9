"""The course builder for training admins (providers' courses) and
enterprise admins (their private courses), outside the Django admin.

Every object is found through training.selectors.*_managed_by: anyone else
gets a 404. Views validate with training.forms and call one service.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.http import refusal_message
from training import selectors
from training.forms import ChapterForm, CourseForm, LessonForm
from training.models import CreditLedger, Lesson
from training.routes import pages
from training.services import content as content_services
from training.services.errors import ContentHasCredit, CourseEmpty, MediaRejected, TrainingError


def _require_builder(request: HttpRequest) -> None:
    if not selectors.can_build_courses(request.user):
        raise PermissionDenied


def _outline_url(course_id: int, anchor: str = "") -> str:
    url = reverse("training:manage_course", args=[course_id])
    return f"{url}#{anchor}" if anchor else url


@pages.route("manage/", name="manage_courses")
def course_list(request: HttpRequest) -> HttpResponse:
    _require_builder(request)
    courses = (
        selectors.courses_managed_by(request.user)
        .annotate(chapter_count=Count("chapters", distinct=True), lesson_count=Count("chapters__lessons"))
        .order_by("-published", "title")
    )
    return render(request, "training/manage/course_list.html", {"courses": courses})


@pages.route("manage/courses/new/", name="manage_course_create", methods=("GET", "POST"))
def course_create(request: HttpRequest) -> HttpResponse:
    _require_builder(request)
    form = CourseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        course = content_services.course_save(course=None, **_course_fields(form.cleaned_data))
        messages.success(request, _("Course created. Now add chapters and lessons."))
        return redirect("training:manage_course", pk=course.pk)
    return render(request, "training/manage/course_form.html", {"form": form, "course": None})


def _course_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "description": data["description"],
        "owner_provider": data["owner_provider"],
        "owner_enterprise": data["owner_enterprise"],
        "shared_with": data.get("shared_with"),
        "industries": list(data["industries"]),
        "posts": data["posts"],
        "is_public": data.get("is_public", False),
        "published": data.get("published", False),
    }


@pages.route("manage/courses/<id:pk>/edit/", name="manage_course_edit", methods=("GET", "POST"))
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(selectors.courses_managed_by(request.user), pk=pk)
    form = CourseForm(request.POST or None, user=request.user, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            content_services.course_save(course=course, **_course_fields(form.cleaned_data))
        except CourseEmpty as refused:
            form.add_error("published", refused.message)
        else:
            messages.success(request, _("Course saved."))
            return redirect("training:manage_course", pk=course.pk)
    return render(request, "training/manage/course_form.html", {"form": form, "course": course})


@pages.post("manage/courses/<id:pk>/publish/", name="manage_course_publish")
def course_publish(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(selectors.courses_managed_by(request.user), pk=pk)
    publish = request.POST.get("published") == "1"
    with refusal_message(request, TrainingError):
        content_services.course_publish(course=course, published=publish)
        messages.success(request, _("Course published.") if publish else _("Course taken back to draft."))
    return redirect("training:manage_course", pk=course.pk)


@pages.route("manage/courses/<id:pk>/", name="manage_course")
def course_outline(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(selectors.courses_managed_by(request.user), pk=pk)
    credited = CreditLedger.objects.filter(lesson=OuterRef("pk"))
    lessons = Lesson.objects.annotate(has_credit=Exists(credited)).order_by("order", "pk")
    # content_services.chapter_delete refuses a chapter with credited lessons: the page says so instead of offering it.
    chapter_credited = CreditLedger.objects.filter(lesson__chapter=OuterRef("pk"))
    chapters = list(
        course.chapters.annotate(has_credit=Exists(chapter_credited))
        .order_by("order", "pk")
        .prefetch_related(Prefetch("lessons", queryset=lessons))
    )
    return render(
        request,
        "training/manage/course_outline.html",
        {
            "course": course,
            "chapters": chapters,
            "chapter_form": ChapterForm(),
            "kinds": Lesson.Kind.choices,
        },
    )


@pages.post("manage/courses/<id:pk>/chapters/new/", name="manage_chapter_create")
def chapter_create(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(selectors.courses_managed_by(request.user), pk=pk)
    title = _chapter_title(request)
    if title is None:
        return redirect(_outline_url(course.pk))
    chapter = content_services.chapter_create(course=course, title=title)
    return redirect(_outline_url(course.pk, f"chapter-{chapter.pk}"))


@pages.post("manage/chapters/<id:pk>/rename/", name="manage_chapter_rename")
def chapter_rename(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(selectors.chapters_managed_by(request.user), pk=pk)
    title = _chapter_title(request)
    if title is not None:
        content_services.chapter_rename(chapter=chapter, title=title)
    return redirect(_outline_url(chapter.course_id, f"chapter-{chapter.pk}"))


def _chapter_title(request: HttpRequest) -> str | None:
    """The posted chapter title; None, with a message asking for one, when it is missing."""
    form = ChapterForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["title"]
    messages.error(request, _("Enter a chapter title."))
    return None


def _moved(request: HttpRequest, move: Callable[..., object], course_id: int, anchor: str) -> HttpResponse:
    """Move an outline item one step (``direction`` up or down; anything else leaves it) and show it."""
    if offset := {"up": -1, "down": 1}.get(request.POST.get("direction", ""), 0):
        move(offset=offset)
    return redirect(_outline_url(course_id, anchor))


@pages.post("manage/chapters/<id:pk>/move/", name="manage_chapter_move")
def chapter_move(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(selectors.chapters_managed_by(request.user), pk=pk)
    move = partial(content_services.chapter_move, chapter=chapter)
    return _moved(request, move, chapter.course_id, f"chapter-{chapter.pk}")


@pages.post("manage/chapters/<id:pk>/delete/", name="manage_chapter_delete")
def chapter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(selectors.chapters_managed_by(request.user), pk=pk)
    course_id = chapter.course_id
    if request.POST.get("confirm") != "1":
        return redirect(_outline_url(course_id, f"chapter-{chapter.pk}"))
    try:
        content_services.chapter_delete(chapter=chapter)
    except ContentHasCredit as exc:
        messages.error(request, str(exc))
        return redirect(_outline_url(course_id, f"chapter-{chapter.pk}"))
    messages.success(request, _("Chapter deleted."))
    return redirect(_outline_url(course_id))


def _lesson_values(data: dict[str, Any]) -> dict[str, Any]:
    """The service keywords a valid LessonForm carries, the same for create and edit."""
    return {
        "chapter": data["chapter"],
        "title": data["title"],
        "credit_minutes": data["credit_minutes"],
        "upload": data.get("media"),
        "body_html": data.get("body_html", ""),
        "quiz_bank_id": data["quiz_bank"],
        "quiz_question_count": data["quiz_question_count"],
        "quiz_pass_percent": data["quiz_pass_percent"],
    }


def _lesson_form(
    request: HttpRequest,
    form: LessonForm,
    *,
    save: Callable[[dict[str, Any]], Lesson],
    success: Callable[[Lesson], str],
    course: Any,
    context: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """Validate, save, report the service's refusals on the form; back to the outline on success."""
    if request.method == "POST" and form.is_valid():
        try:
            lesson = save(form.cleaned_data)
        except MediaRejected as exc:
            form.add_error("media", str(exc))
        except ValidationError as exc:  # the quiz-bank rule, should the bank change after the form was checked
            form.add_error(None, exc)
        else:
            messages.success(request, success(lesson))
            if lesson.quiz_bank_id is not None:
                from question_bank.selectors import subjective_count

                if left_out := subjective_count([lesson.quiz_bank_id]):
                    messages.warning(
                        request,
                        _(
                            "The quiz bank holds %(count)d subjective question(s): they need manual marking and "
                            "are not drawn into the quiz."
                        )
                        % {"count": left_out},
                    )
            return redirect(_outline_url(course.pk, f"lesson-{lesson.pk}"))
    return render(
        request,
        "training/manage/lesson_form.html",
        {"form": form, "course": course, **context()},
        status=400 if form.errors else 200,
    )


@pages.route("manage/chapters/<id:pk>/lessons/new/", name="manage_lesson_create", methods=("GET", "POST"))
def lesson_create(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(selectors.chapters_managed_by(request.user), pk=pk)
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in Lesson.Kind.values:
        return render(
            request,
            "training/manage/lesson_kind.html",
            {"chapter": chapter, "course": chapter.course, "kinds": Lesson.Kind.choices},
        )
    form = LessonForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        course=chapter.course,
        kind=kind,
        initial={"chapter": chapter.pk, "quiz_question_count": 5, "quiz_pass_percent": 60},
    )

    def save(data: dict[str, Any]) -> Lesson:
        return content_services.lesson_create(
            actor=request.user, kind=kind, duration_seconds=data.get("duration_seconds") or 0, **_lesson_values(data)
        )

    return _lesson_form(
        request,
        form,
        save=save,
        success=lambda lesson: _("Lesson “%(title)s” added.") % {"title": lesson.title},
        course=chapter.course,
        context=lambda: {"chapter": chapter, "kind": kind, "lesson": None},
    )


@pages.route("manage/lessons/<id:pk>/edit/", name="manage_lesson_edit", methods=("GET", "POST"))
def lesson_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(selectors.lessons_managed_by(request.user), pk=pk)
    course = lesson.chapter.course
    form = LessonForm(
        request.POST or None, request.FILES or None, user=request.user, course=course, kind=lesson.kind, lesson=lesson
    )

    def save(data: dict[str, Any]) -> Lesson:
        content_services.lesson_update(
            actor=request.user, lesson=lesson, duration_seconds=data.get("duration_seconds"), **_lesson_values(data)
        )
        return lesson

    return _lesson_form(
        request,
        form,
        save=save,
        success=lambda _lesson: _("Lesson saved."),
        course=course,
        context=lambda: {"chapter": lesson.chapter, "kind": lesson.kind, "lesson": lesson},
    )


@pages.post("manage/lessons/<id:pk>/move/", name="manage_lesson_move")
def lesson_move(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(selectors.lessons_managed_by(request.user), pk=pk)
    move = partial(content_services.lesson_move, lesson=lesson)
    return _moved(request, move, lesson.chapter.course_id, f"lesson-{lesson.pk}")


@pages.post("manage/lessons/<id:pk>/retire/", name="manage_lesson_retire")
def lesson_retire(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(selectors.lessons_managed_by(request.user), pk=pk)
    retired = request.POST.get("retired") == "1"
    content_services.lesson_set_retired(lesson=lesson, retired=retired)
    if retired:
        messages.success(request, _("“%(title)s” is retired: learners no longer see it.") % {"title": lesson.title})
    else:
        messages.success(request, _("“%(title)s” is back in the course.") % {"title": lesson.title})
    return redirect(_outline_url(lesson.chapter.course_id, f"lesson-{lesson.pk}"))


@pages.route("manage/lessons/<id:pk>/delete/", name="manage_lesson_delete", methods=("GET", "POST"))
def lesson_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(selectors.lessons_managed_by(request.user), pk=pk)
    course_id = lesson.chapter.course_id
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "1":
        try:
            content_services.lesson_delete(lesson=lesson)
        except ContentHasCredit as exc:
            error = str(exc)
        else:
            messages.success(request, _("Lesson deleted."))
            return redirect(_outline_url(course_id))
    return render(
        request,
        "training/manage/lesson_delete.html",
        {
            "lesson": lesson,
            "course": lesson.chapter.course,
            "has_credit": bool(error) or selectors.lesson_has_credit(lesson),
            "error": error,
        },
        status=409 if error else 200,
    )
