from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from exams.models import CertificateType, ExamSession
from exams.services.certificate_lookup import NAME_MAX_LENGTH, NUMBER_MAX_LENGTH
from organizations.models import Person
from question_bank.models import AUTO_GRADED_CHOICES

RULE_ROWS = 4


class PaperRulesForm(forms.Form):
    """A paper name and up to RULE_ROWS rules; empty rule rows are ignored."""

    name = forms.CharField(label=_("Paper name"), max_length=200)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_rows = []
        for i in range(RULE_ROWS):
            fields = {
                # Ticked, full width (paper_form.html): a bank's whole name shows, where a half-width list cut it.
                f"r{i}_banks": forms.ModelMultipleChoiceField(
                    queryset=banks, required=False, label=_("Banks"), widget=forms.CheckboxSelectMultiple
                ),
                f"r{i}_qtype": forms.ChoiceField(
                    choices=[("", "—"), *AUTO_GRADED_CHOICES], required=False, label=_("Question type")
                ),
                f"r{i}_count": forms.IntegerField(min_value=1, max_value=200, required=False, label=_("Number")),
                f"r{i}_score": forms.DecimalField(
                    min_value=0.5, max_value=100, decimal_places=1, required=False, label=_("Score each")
                ),
                f"r{i}_knowledge_point": forms.CharField(max_length=200, required=False, label=_("Knowledge point")),
                f"r{i}_industry_tag": forms.CharField(max_length=100, required=False, label=_("Industry tag")),
                f"r{i}_difficulty_min": forms.IntegerField(
                    min_value=1, max_value=5, required=False, initial=1, label=_("Lowest difficulty")
                ),
                f"r{i}_difficulty_max": forms.IntegerField(
                    min_value=1, max_value=5, required=False, initial=5, label=_("Highest difficulty")
                ),
            }
            self.fields.update(fields)
            self.rule_rows.append([self[name] for name in fields])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        rules = []
        for i in range(RULE_ROWS):
            qtype, count = data.get(f"r{i}_qtype"), data.get(f"r{i}_count")
            if not qtype and not count:
                continue
            missing = [
                str(label)
                for key, label in (
                    ("banks", _("banks")),
                    ("qtype", _("question type")),
                    ("count", _("number")),
                    ("score", _("score each")),
                )
                if not data.get(f"r{i}_{key}")
            ]
            if missing:
                raise forms.ValidationError(
                    _("Rule %(n)d is missing: %(fields)s.") % {"n": i + 1, "fields": ", ".join(missing)}
                )
            low, high = data.get(f"r{i}_difficulty_min") or 1, data.get(f"r{i}_difficulty_max") or 5
            if low > high:
                raise forms.ValidationError(_("Rule %(n)d: the lowest difficulty is above the highest.") % {"n": i + 1})
            rules.append(
                {
                    "banks": list(data[f"r{i}_banks"]),
                    "qtype": qtype,
                    "count": count,
                    "score": data[f"r{i}_score"],
                    "knowledge_point": data.get(f"r{i}_knowledge_point") or "",
                    "industry_tag": data.get(f"r{i}_industry_tag") or "",
                    "difficulty_min": low,
                    "difficulty_max": high,
                }
            )
        if not rules:
            raise forms.ValidationError(_("Add at least one rule."))
        data["rules"] = rules
        return data


class SessionForm(forms.ModelForm):
    eligible_posts = forms.MultipleChoiceField(
        choices=Person.Post.choices, required=False, widget=forms.CheckboxSelectMultiple, label=_("Posts")
    )
    # Not a model field: after saving, the admin goes on to the proctoring policy page.
    setup_proctoring = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Set up proctoring next"),
        help_text=_("Face checks, snapshots and tab-switch rules for this exam, on the next page."),
    )

    class Meta:
        model = ExamSession
        fields = [
            "title",
            "paper",
            "opens_at",
            "closes_at",
            "duration_minutes",
            "attempts_allowed",
            "pass_score",
            "eligible_posts",
            "eligible_enterprises",
            "eligible_jurisdictions",
            "required_course",
            "result_release",
            "review_answers",
            "partial_credit",
            "shuffle_options",
            "certificate_type",
            "certificate_validity_years",
            "is_onboarding",
            "grace_seconds",
        ]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            # Hundreds of enterprises: ticked in groups by jurisdiction (session_form.html), not in a 5-row list.
            "eligible_enterprises": forms.CheckboxSelectMultiple,
            "eligible_jurisdictions": forms.CheckboxSelectMultiple,
        }

    def __init__(
        self, *args: Any, papers: Any, enterprises: Any, jurisdictions: Any, courses: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paper"].queryset = papers
        self.fields["paper"].empty_label = _("Choose a paper")
        self.fields["eligible_enterprises"].queryset = enterprises
        self.fields["eligible_jurisdictions"].queryset = jurisdictions
        self.fields["required_course"].queryset = courses
        self.fields["required_course"].empty_label = _("No prerequisite")
        self.fields["certificate_type"].choices = [("", _("No certificate")), *CertificateType.choices]
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def enterprise_groups(self) -> list[dict[str, Any]]:
        """The enterprises one may admit, by jurisdiction, each ticked as the form holds it; a group with a
        ticked enterprise is open. The field still checks every id against its queryset."""
        chosen = {str(v) for v in (self["eligible_enterprises"].value() or [])}
        groups: dict[int, dict[str, Any]] = {}
        enterprises = self.fields["eligible_enterprises"].queryset
        for e in enterprises.select_related("jurisdiction").order_by("jurisdiction__path", "name", "pk"):
            group = groups.setdefault(e.jurisdiction_id, {"name": e.jurisdiction.name, "options": [], "chosen": 0})
            checked = str(e.pk) in chosen
            group["options"].append({"pk": e.pk, "name": e.name, "checked": checked})
            group["chosen"] += int(checked)
        return list(groups.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The window must close after it opens."))
        return data


class SpotTestForm(forms.Form):
    """The worker picked from the inspector's search; ``people`` is the whole scope the inspector may test, so a
    person posted from outside it (an old page, a forged id) is refused whatever the search listed."""

    person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        label=_("Worker"),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Pick the worker you are inspecting."),
            "invalid_choice": _("This person is not among the workers you may inspect. Search again and pick one."),
        },
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class CertificateLookupForm(forms.Form):
    """The public lookup (证书查询): both the number and the holder's name, as printed on the certificate."""

    number = forms.CharField(
        label=_("Certificate number"),
        max_length=NUMBER_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Holder's name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
