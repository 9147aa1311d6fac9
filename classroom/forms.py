"""The classroom pages' forms: they validate and shape input; the services in ``classroom.services`` write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from classroom.models import TrainingClass
from organizations import selectors as org
from organizations.models import Enterprise, Person, TrainingProvider
from training import selectors as training_selectors
from training.models import Lesson, LessonPlan, PlanTemplate, PlanTemplateStage

# How many people the "by name" list shows at most; the search box filters them in the page.
PEOPLE_LIST_MAX = 300


def owners_for(user: Any) -> list[tuple[str, str]]:
    """The organisations this user may schedule classes for, as ("enterprise:<id>" | "provider:<id>", name)."""
    choices = [(f"enterprise:{e.pk}", e.name) for e in org.enterprises_managed_by(user).order_by("name")]
    providers = TrainingProvider.objects.filter(pk__in=org.provider_ids_managed_by(user)).order_by("name")
    choices += [(f"provider:{p.pk}", p.name) for p in providers]
    return choices


def owner_of(choice: str) -> dict[str, Any]:
    kind, _sep, pk = choice.partition(":")
    if kind == "enterprise":
        return {"owner_enterprise": Enterprise.objects.get(pk=pk), "owner_provider": None}
    return {"owner_enterprise": None, "owner_provider": TrainingProvider.objects.get(pk=pk)}


def lesson_plans_for(*, user: Any, owner_enterprise: Any, owner_provider: Any) -> QuerySet[LessonPlan]:
    """The plans this user may attach: the library's ``lesson_plans_attachable_by`` once it is there (the
    service checks the same); until then the owner's own, its jurisdiction's shared ones and the platform's."""
    attachable = getattr(training_selectors, "lesson_plans_attachable_by", None)
    if attachable is not None:
        return attachable(user).order_by("title")
    q = Q(share=LessonPlan.Share.PLATFORM)
    if owner_enterprise is not None:
        q |= Q(owner_enterprise=owner_enterprise)
    if owner_provider is not None:
        q |= Q(owner_provider=owner_provider)
    if getattr(owner_enterprise or owner_provider, "jurisdiction", None) is not None:
        path = (owner_enterprise or owner_provider).jurisdiction.path
        q |= Q(share=LessonPlan.Share.SUBTREE, shared_with__path__in=org.ancestor_paths(path))
    return LessonPlan.objects.filter(q).order_by("title")


# An end earlier than the start is the next day's, up to this long a class (a night shift's);
# longer, it is more likely a mistyped time than a class.
OVERNIGHT_LIMIT = dt.timedelta(hours=12)


class ClassForm(forms.Form):
    """Schedule (安排课堂) or edit a class. 学时 are entered as hours and stored as minutes."""

    owner = forms.ChoiceField(label=gettext_lazy("Organised by"))
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=200)
    course = forms.ModelChoiceField(
        label=gettext_lazy("Course"), queryset=training_selectors.Course.objects.none(), required=False
    )
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=TrainingClass.Level.choices)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=gettext_lazy("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(
        label=gettext_lazy("Ends at"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=gettext_lazy("Earlier than the start: the class ends the next day (at most 12 hours in all)."),
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    hours = forms.DecimalField(
        label=gettext_lazy("Credit hours (学时)"),
        min_value=Decimal("0.1"),
        max_value=Decimal("24"),
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    tolerance_minutes = forms.IntegerField(
        label=gettext_lazy("Tolerance (minutes)"),
        min_value=0,
        max_value=120,
        initial=10,
        help_text=gettext_lazy("Late arrival or early leave up to this many minutes is not deducted."),
    )
    requires_face = forms.BooleanField(label=gettext_lazy("Face check at sign-in"), required=False)
    onboarding_stage = forms.ModelChoiceField(
        label=gettext_lazy("Onboarding stage fulfilled"), queryset=PlanTemplateStage.objects.none(), required=False
    )
    quiz_lesson = forms.ModelChoiceField(
        label=gettext_lazy("End-of-class quiz"),
        queryset=Lesson.objects.none(),
        required=False,
        help_text=gettext_lazy("It must be passed for the class to count toward the onboarding stage."),
    )
    lesson_plans = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Lesson plans"),
        queryset=LessonPlan.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, training_class: TrainingClass | None = None, **kwargs: Any) -> None:
        self.user = user
        self.training_class = training_class
        if training_class is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_of(training_class)
        super().__init__(*args, **kwargs)
        owners = owners_for(user)
        if training_class is not None:
            # The owner of a scheduled class does not change.
            del self.fields["owner"]
            owner = {
                "owner_enterprise": training_class.owner_enterprise,
                "owner_provider": training_class.owner_provider,
            }
        else:
            self.fields["owner"].choices = owners
            chosen = self.data.get("owner") or self.initial.get("owner") or (owners[0][0] if owners else "")
            owner = owner_of(chosen) if chosen in dict(owners) else {"owner_enterprise": None, "owner_provider": None}
            if len(owners) == 1:
                self.fields["owner"].widget = forms.HiddenInput()
                self.fields["owner"].initial = owners[0][0]
        self.owner = owner
        self.fields["course"].queryset = training_selectors.courses_visible_to(user).order_by("title")
        for name in ("course", "onboarding_stage", "quiz_lesson"):
            self.fields[name].empty_label = "—"
        if training_class is None and not self.is_bound:
            # A sensible start: today, the next full hour, one hour long, 1 学时.
            start = (timezone.localtime() + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
            self.initial.setdefault("date", start.date())
            self.initial.setdefault("start", start.time())
            self.initial.setdefault("end", (start + dt.timedelta(hours=1)).time())
            self.initial.setdefault("hours", Decimal(1))
        self.fields["onboarding_stage"].queryset = PlanTemplateStage.objects.filter(
            template__kind=PlanTemplate.Kind.ONBOARDING
        ).select_related("template")
        self.fields["quiz_lesson"].queryset = (
            training_selectors.lessons_visible_to(user).filter(quiz_bank_id__isnull=False).order_by("title")
        )
        self.fields["lesson_plans"].queryset = lesson_plans_for(user=user, **owner)

    @staticmethod
    def initial_of(training_class: TrainingClass) -> dict[str, Any]:
        starts = timezone.localtime(training_class.starts_at)
        ends = timezone.localtime(training_class.ends_at)
        return {
            "topic": training_class.topic,
            "course": training_class.course_id,
            "level": training_class.level,
            "date": starts.date(),
            "start": starts.time().replace(second=0, microsecond=0),
            "end": ends.time().replace(second=0, microsecond=0),
            "place": training_class.place,
            "hours": training_selectors.credit_hours_text(training_class.credit_minutes),
            "tolerance_minutes": training_class.tolerance_minutes,
            "requires_face": training_class.requires_face,
            "onboarding_stage": training_class.onboarding_stage_id,
            "quiz_lesson": training_class.quiz_lesson_id,
            "lesson_plans": list(training_class.lesson_plans.values_list("pk", flat=True)),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        date, start, end = data.get("date"), data.get("start"), data.get("end")
        if date and start and end:
            zone = timezone.get_current_timezone()
            data["starts_at"] = dt.datetime.combine(date, start, tzinfo=zone)
            data["ends_at"] = dt.datetime.combine(date, end, tzinfo=zone)
            if end < start:  # a night shift's class: it ends the next day
                data["ends_at"] += dt.timedelta(days=1)
                if data["ends_at"] - data["starts_at"] > OVERNIGHT_LIMIT:
                    self.add_error(
                        "end",
                        _("A class that runs past midnight may last at most 12 hours: check the end time."),
                    )
            elif end == start:
                self.add_error("end", _("The end time must be after the start time."))
        if data.get("hours") is not None:
            data["credit_minutes"] = max(1, round(data["hours"] * settings.MINUTES_PER_CREDIT_HOUR))
        return data

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments of ``class_schedule`` / ``class_update``."""
        data = self.cleaned_data
        return {
            "topic": data["topic"],
            "course": data.get("course"),
            "level": data["level"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "credit_minutes": data["credit_minutes"],
            "tolerance_minutes": data["tolerance_minutes"],
            "requires_face": data.get("requires_face", False),
            "onboarding_stage": data.get("onboarding_stage"),
            "quiz_lesson": data.get("quiz_lesson"),
            "lesson_plans": list(data.get("lesson_plans") or ()),
        }


class InviteForm(forms.Form):
    """Whom to invite: whole posts, whole departments and people by name (each choice says how many it adds)."""

    posts = forms.MultipleChoiceField(
        label=gettext_lazy("By post"), required=False, widget=forms.CheckboxSelectMultiple
    )
    departments = forms.MultipleChoiceField(
        label=gettext_lazy("By department"), required=False, widget=forms.CheckboxSelectMultiple
    )
    people = forms.ModelMultipleChoiceField(
        label=gettext_lazy("By name"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, pool: QuerySet[Person], already: set[int] = frozenset(), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        pool = pool.filter(leave_date__isnull=True)
        posts = dict(Person.Post.choices)
        post_counts = pool.values("post").annotate(n=Count("pk")).order_by("post")
        self.fields["posts"].choices = [
            (
                row["post"],
                _("%(post)s (%(count)d people)") % {"post": posts.get(row["post"], row["post"]), "count": row["n"]},
            )
            for row in post_counts
        ]
        department_counts = (
            pool.exclude(department="").values("department").annotate(n=Count("pk")).order_by("department")
        )
        self.fields["departments"].choices = [
            (
                row["department"],
                _("%(department)s (%(count)d people)") % {"department": row["department"], "count": row["n"]},
            )
            for row in department_counts
        ]
        people = pool.exclude(pk__in=already).select_related("enterprise").order_by("name", "pk")
        self.fields["people"].queryset = people
        # A provider's pool spans many enterprises, where names repeat: then each line names the enterprise too.
        self.many_enterprises = pool.values("enterprise_id").distinct().count() > 1
        self.fields["people"].label_from_instance = self.person_label
        self.people_total = people.count()
        self.people_shown = min(self.people_total, PEOPLE_LIST_MAX)
        self.pool = pool

    def person_label(self, person: Person) -> str:
        parts = [person.name, person.get_post_display()]
        if self.many_enterprises:
            parts.append(person.enterprise.name)
        if person.department:
            parts.append(person.department)
        return " · ".join(parts)

    def chosen(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "posts": list(data.get("posts") or ()),
            "departments": list(data.get("departments") or ()),
            "people": list(data.get("people") or ()),
        }

    def has_choice(self) -> bool:
        return any(self.chosen().values())


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for cancelling"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class ManualSignForm(forms.Form):
    """代签: the trainer signs a person in or out by hand; the reason goes into the audit log."""

    KINDS = [("in", pgettext_lazy("attendance", "Sign in")), ("out", pgettext_lazy("attendance", "Sign out"))]

    person = forms.ModelChoiceField(
        label=gettext_lazy("Person"), queryset=Person.objects.none(), empty_label=gettext_lazy("Choose a person")
    )
    kind = forms.ChoiceField(label=gettext_lazy("Sign in or out"), choices=KINDS)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        help_text=gettext_lazy("For example: no phone with them. It is recorded in the audit log."),
    )

    def __init__(self, *args: Any, training_class: TrainingClass, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        invited = training_class.invitations.values("person_id")
        self.fields["person"].queryset = Person.objects.filter(pk__in=invited).order_by("name", "pk")
