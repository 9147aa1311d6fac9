"""Forms of the course builder. They validate input; services write."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import Industry, Jurisdiction, Person
from training import selectors
from training.models import Chapter, Course, Lesson
from training.services.content import course_share_check, lesson_check_quiz_bank
from training.services.errors import ShareNeedsOffer

MAX_QUIZ_QUESTIONS = 50


def owner_choices(providers: Any, enterprises: Any, *, enterprises_label: str) -> list[Any]:
    """Grouped choices ``provider:<id>`` / ``enterprise:<id>`` for an "owner" field (courses, lesson plans)."""
    choices: list[Any] = []
    by_provider = [(f"provider:{p.pk}", p.name) for p in providers.order_by("name")]
    if by_provider:
        choices.append((_("Training providers"), by_provider))
    by_enterprise = [(f"enterprise:{e.pk}", e.name) for e in enterprises.order_by("name")[:500]]
    if by_enterprise:
        choices.append((enterprises_label, by_enterprise))
    return choices


class CourseForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.ChoiceField(label=gettext_lazy("Owner"))
    shared_with = forms.ModelChoiceField(
        label=gettext_lazy("Share with jurisdiction (and everything below it)"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Not shared"),
        help_text=gettext_lazy("Enterprises in this jurisdiction may assign the course. Training providers only."),
    )
    industries = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Industry tags"),
        queryset=Industry.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave empty for every industry."),
    )
    posts = forms.MultipleChoiceField(
        label=gettext_lazy("Post tags"),
        choices=Person.Post.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave empty for every post."),
    )
    is_public = forms.BooleanField(
        label=gettext_lazy("Open to public learners (residents, e.g. first aid)"), required=False
    )
    published = forms.BooleanField(
        label=gettext_lazy("Published"),
        required=False,
        initial=False,
        help_text=gettext_lazy(
            "A new course starts as a draft: publish it when its lessons are ready. Drafts can't be assigned."
        ),
    )

    def __init__(self, *args: Any, user: Any, course: Course | None = None, **kwargs: Any) -> None:
        if course is not None and "initial" not in kwargs:
            owner = (
                f"provider:{course.owner_provider_id}"
                if course.owner_provider_id
                else f"enterprise:{course.owner_enterprise_id}"
            )
            kwargs["initial"] = {
                "title": course.title,
                "description": course.description,
                "owner": owner,
                "shared_with": course.shared_with_id,
                "industries": list(course.industries.values_list("pk", flat=True)),
                "posts": course.posts,
                "is_public": course.is_public,
                "published": course.published,
            }
        super().__init__(*args, **kwargs)
        self.course = course
        self.providers, self.enterprises = selectors.course_owners_for(user)
        self.fields["owner"].choices = owner_choices(
            self.providers, self.enterprises, enterprises_label=_("Enterprises (private course)")
        )
        targets = selectors.share_targets_for(user)
        if course is not None and course.shared_with_id:
            # Keep a share set by someone with a wider scope selectable.
            targets = Jurisdiction.objects.filter(
                Q(pk__in=targets.values("pk")) | Q(pk=course.shared_with_id)
            ).order_by("path")
        self.fields["shared_with"].queryset = targets
        # Only what this user may set: sharing and public courses are for training providers' courses
        # (clean() refuses them for an enterprise's), and a new course is saved as a draft (published
        # from the outline once it has lessons).
        if not self.providers.exists():
            del self.fields["shared_with"], self.fields["is_public"]
        if course is None:
            del self.fields["published"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, _sep, pk = (data.get("owner") or "").partition(":")
        data["owner_provider"] = self.providers.filter(pk=pk).first() if kind == "provider" and pk.isdigit() else None
        data["owner_enterprise"] = (
            self.enterprises.filter(pk=pk).first() if kind == "enterprise" and pk.isdigit() else None
        )
        if not (data["owner_provider"] or data["owner_enterprise"]):
            self.add_error("owner", _("Choose who owns the course."))
        if data["owner_enterprise"] is not None:
            if data.get("shared_with"):
                self.add_error("shared_with", _("An enterprise’s private course is not shared with a jurisdiction."))
            if data.get("is_public"):
                self.add_error("is_public", _("Only a training provider’s shared course can be open to the public."))
        elif data.get("is_public") and not data.get("shared_with"):
            self.add_error("is_public", _("Choose the jurisdiction whose residents may take this public course."))
        if data["owner_provider"] is not None and data.get("shared_with") and "shared_with" not in self.errors:
            try:
                course_share_check(
                    course=self.course, owner_provider=data["owner_provider"], shared_with=data["shared_with"]
                )
            except ShareNeedsOffer as exc:
                self.add_error("shared_with", exc.message)
        return data


class ChapterForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Chapter title"), max_length=200)


KIND_ACCEPT = {
    Lesson.Kind.VIDEO: "video/mp4,video/webm,.mp4,.webm",
    Lesson.Kind.DOCUMENT: "application/pdf,.pdf",
}


class LessonForm(forms.Form):
    chapter = forms.ModelChoiceField(label=gettext_lazy("Chapter"), queryset=Chapter.objects.none(), empty_label=None)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    credit_minutes = forms.IntegerField(
        label=gettext_lazy("Credit minutes"),
        min_value=1,
        max_value=24 * 60,
        help_text=gettext_lazy("Study time this lesson can credit; one credit hour is %(minutes)s minutes."),
    )
    media = forms.FileField(label=gettext_lazy("File"), required=False)
    duration_seconds = forms.IntegerField(
        label=gettext_lazy("Video duration (seconds)"),
        min_value=1,
        required=False,
        help_text=gettext_lazy("Filled in from the chosen file when your browser can read it."),
    )
    body_html = forms.CharField(
        label=gettext_lazy("Article text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "data-rich-text": ""}),
        help_text=gettext_lazy("Headings, lists, bold, links and tables are kept; scripts and styles are removed."),
    )
    quiz_bank = forms.TypedChoiceField(
        label=gettext_lazy("Quiz question bank"), coerce=int, required=False, empty_value=None
    )
    quiz_question_count = forms.IntegerField(
        label=gettext_lazy("Quiz questions"), min_value=1, max_value=MAX_QUIZ_QUESTIONS, initial=5, required=False
    )
    quiz_pass_percent = forms.IntegerField(
        label=gettext_lazy("Pass mark (%)"), min_value=1, max_value=100, initial=60, required=False
    )

    def __init__(
        self, *args: Any, user: Any, course: Course, kind: str, lesson: Lesson | None = None, **kwargs: Any
    ) -> None:
        from django.conf import settings

        if lesson is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "chapter": lesson.chapter_id,
                "title": lesson.title,
                "credit_minutes": lesson.credit_minutes,
                "duration_seconds": lesson.duration_seconds or None,
                "body_html": lesson.body_html,
                "quiz_bank": lesson.quiz_bank_id,
                "quiz_question_count": lesson.quiz_question_count or 5,
                "quiz_pass_percent": lesson.quiz_pass_percent,
            }
        super().__init__(*args, **kwargs)
        self.kind, self.lesson, self.user = kind, lesson, user
        self.fields["chapter"].queryset = course.chapters.all()
        self.fields["credit_minutes"].help_text = self.fields["credit_minutes"].help_text % {
            "minutes": settings.MINUTES_PER_CREDIT_HOUR
        }
        banks = selectors.quiz_banks_for(user)
        if lesson is not None and lesson.quiz_bank_id:
            from question_bank.models import Bank

            # The lesson keeps its bank even if the builder no longer sees it, unless it is exam-only.
            banks = banks | Bank.objects.filter(pk=lesson.quiz_bank_id, purpose=Bank.Purpose.PRACTICE)
        self.fields["quiz_bank"].choices = [("", _("No quiz")), *[(b.pk, b.name) for b in banks.order_by("name")]]
        if kind == Lesson.Kind.ARTICLE:
            del self.fields["media"], self.fields["duration_seconds"]
            self.fields["body_html"].widget.attrs["data-rich-labels"] = json.dumps(
                {
                    "bold": _("Bold"),
                    "italic": _("Italic"),
                    "h2": _("Heading"),
                    "h3": _("Subheading"),
                    "ul": _("Bulleted list"),
                    "ol": _("Numbered list"),
                    "link": _("Link"),
                    "clear": _("Clear formatting"),
                },
                ensure_ascii=False,
            )
        else:
            del self.fields["body_html"]
            self.fields["media"].widget.attrs["accept"] = KIND_ACCEPT[kind]
            if kind == Lesson.Kind.VIDEO:
                self.fields["media"].label = _("Video file (MP4 or WebM)")
            else:
                del self.fields["duration_seconds"]
                self.fields["media"].label = _("PDF document")
            if lesson is not None:
                self.fields["media"].help_text = _("Leave empty to keep the current file.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.kind in (Lesson.Kind.VIDEO, Lesson.Kind.DOCUMENT) and self.lesson is None and not data.get("media"):
            self.add_error("media", _("Choose a file for this lesson."))
        if (
            self.kind == Lesson.Kind.VIDEO
            and not data.get("duration_seconds")
            and not (self.lesson and self.lesson.duration_seconds)
        ):
            self.add_error("duration_seconds", _("Enter the video’s length in seconds."))
        if self.kind == Lesson.Kind.ARTICLE and not (data.get("body_html") or "").strip():
            self.add_error("body_html", _("Write the article."))
        bank_id = data.get("quiz_bank")
        if bank_id:
            try:
                lesson_check_quiz_bank(actor=self.user, quiz_bank_id=bank_id, lesson=self.lesson)
            except ValidationError as exc:
                self.add_error(None, exc)
            else:
                from question_bank.models import AUTO_GRADED_TYPES, Question
                from question_bank.selectors import subjective_count

                available = Question.objects.filter(bank_id=bank_id, is_active=True, type__in=AUTO_GRADED_TYPES).count()
                subjective = subjective_count([bank_id])
                left_out = (
                    _(
                        "(%(count)d subjective question(s) of the bank need manual marking and are not drawn "
                        "into quizzes.)"
                    )
                    % {"count": subjective}
                    if subjective
                    else ""
                )
                count = data.get("quiz_question_count") or 5
                if available == 0:
                    self.add_error(
                        "quiz_bank", " ".join(filter(None, [str(_("This bank has no active questions.")), left_out]))
                    )
                elif count > available:
                    too_few = _("The bank has only %(available)d active questions.") % {"available": available}
                    self.add_error("quiz_question_count", " ".join(filter(None, [str(too_few), left_out])))
                data["quiz_question_count"] = count
                data["quiz_pass_percent"] = data.get("quiz_pass_percent") or 60
        else:
            data["quiz_question_count"], data["quiz_pass_percent"] = 0, data.get("quiz_pass_percent") or 60
        return data


def quiz_answers_from_post(post: Any, questions: list[Any]) -> dict[int, Any]:
    """Raw answers keyed by question id, as question_bank.services.normalise_given takes them."""
    from question_bank.models import QuestionType

    answers: dict[int, Any] = {}
    for question in questions:
        name = f"q{question.pk}"
        if question.type == QuestionType.MULTIPLE:
            answers[question.pk] = "".join(post.getlist(name))
        elif question.type == QuestionType.FILL_BLANK:
            answers[question.pk] = [post.get(f"{name}_{i}", "") for i in range(len(question.answer))]
        else:
            answers[question.pk] = post.get(name, "")
    return answers
