"""Forms of the lesson-plan library pages; the rules themselves are in training.services.library."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import Industry, Jurisdiction
from training import selectors
from training.forms import owner_choices
from training.models import Course, LessonPlan, PlanLevel
from training.services import library


class LibrarySearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search title or topic"), required=False, max_length=100)
    industry = forms.ChoiceField(label=gettext_lazy("Industry"), required=False)
    level = forms.ChoiceField(
        label=gettext_lazy("Level"), required=False, choices=[("", gettext_lazy("Any level")), *PlanLevel.choices]
    )
    file_type = forms.ChoiceField(
        label=gettext_lazy("File type"),
        required=False,
        choices=[("", gettext_lazy("Any type")), *LessonPlan.FileType.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        industries = [(i.code, i.name) for i in Industry.objects.order_by("code")]
        self.fields["industry"].choices = [("", _("Any industry")), *industries]


class LessonPlanForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=200, required=False)
    industry = forms.ModelChoiceField(
        label=gettext_lazy("Industry"),
        queryset=Industry.objects.order_by("code"),
        required=False,
        empty_label=gettext_lazy("Every industry"),
    )
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=PlanLevel.choices, initial=PlanLevel.GENERAL)
    credit_hours = forms.DecimalField(
        label=gettext_lazy("Credit hours (学时)"), min_value=Decimal("0.1"), max_value=Decimal(100), decimal_places=1
    )
    owner = forms.ChoiceField(label=gettext_lazy("Owner"))
    share = forms.ChoiceField(label=gettext_lazy("Who may find it"), choices=LessonPlan.Share.choices)
    shared_with = forms.ModelChoiceField(
        label=gettext_lazy("Jurisdiction (and everything below it)"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose when sharing with a jurisdiction"),
    )
    file = forms.FileField(
        label=gettext_lazy("File (PDF, Word docx or PowerPoint pptx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.pptx"}),
    )

    def __init__(self, *args: Any, user: Any, plan: LessonPlan | None = None, **kwargs: Any) -> None:
        if plan is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": plan.title,
                "topic": plan.topic,
                "industry": plan.industry_id,
                "level": plan.level,
                "credit_hours": Decimal(plan.credit_minutes) / settings.MINUTES_PER_CREDIT_HOUR,
                "share": plan.share,
                "shared_with": plan.shared_with_id,
            }
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.providers, self.enterprises = selectors.library_owners_for(user)
        if plan is not None:
            del self.fields["owner"]
            self.fields["file"].required = False
            self.fields["file"].label = _("Replace the file (optional)")
            owner: Any = plan.owner_provider or plan.owner_enterprise
            targets = library.share_targets_for_plan(by=user, plan_owner=owner)
        else:
            self.fields["owner"].choices = owner_choices(
                self.providers, self.enterprises, enterprises_label=_("Enterprises")
            )
            targets = []
            for owner in [*self.providers[:50], *self.enterprises[:50]]:
                targets += library.share_targets_for_plan(by=user, plan_owner=owner)
        pks = {j.pk for j in targets}
        if plan is not None and plan.shared_with_id:
            pks.add(plan.shared_with_id)
        self.fields["shared_with"].queryset = Jurisdiction.objects.filter(pk__in=pks).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.plan is None:
            kind, _sep, pk = (data.get("owner") or "").partition(":")
            data["owner_provider"] = (
                self.providers.filter(pk=pk).first() if kind == "provider" and pk.isdigit() else None
            )
            data["owner_enterprise"] = (
                self.enterprises.filter(pk=pk).first() if kind == "enterprise" and pk.isdigit() else None
            )
            if not (data["owner_provider"] or data["owner_enterprise"]):
                self.add_error("owner", _("Choose who owns the lesson plan."))
        return data


class OfferForm(forms.Form):
    district = forms.ModelChoiceField(
        label=gettext_lazy("District"),
        queryset=Jurisdiction.objects.filter(kind__in=(Jurisdiction.Kind.DISTRICT, Jurisdiction.Kind.CITY)).order_by(
            "path"
        ),
        empty_label=gettext_lazy("Choose a district"),
    )


class CourseOfferForm(OfferForm):
    course = forms.ModelChoiceField(label=gettext_lazy("Course"), queryset=Course.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = selectors.courses_managed_by(user).filter(owner_provider__isnull=False)


class DecideForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (required when rejecting)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
