"""The exam wizard's own steps (考试向导): the bank, the paper's rules, the session. Extra steps come from
``core.wizard_steps`` (proctoring)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from exams.forms import SessionForm
from exams.models import CertificateType, ExamSession
from exams.services.errors import WizardRefused
from exams.services.wizard import TypeRule, pass_score_check, rules_check
from question_bank.models import AUTO_GRADED_CHOICES, Bank


class BankChoiceField(forms.ModelChoiceField):
    """Each bank with how many questions a paper may draw from it."""

    def __init__(self, *args: Any, counts: dict[int, int], **kwargs: Any) -> None:
        self.counts = counts
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Bank) -> str:
        return _("%(name)s (%(count)d questions)") % {"name": obj.name, "count": self.counts.get(obj.pk, 0)}


class BankStepForm(forms.Form):
    def __init__(self, *args: Any, banks: Any, counts: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"] = BankChoiceField(
            queryset=banks, counts=counts, label=_("Question bank"), widget=forms.RadioSelect, empty_label=None
        )


class RulesStepForm(forms.Form):
    """How many questions of each type the bank holds are drawn, and their scores; the paper's name."""

    paper_name = forms.CharField(label=_("Paper name"), max_length=200)

    def __init__(self, *args: Any, available: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.available = available
        self.rows = []
        for qtype, label in AUTO_GRADED_CHOICES:
            have = available.get(qtype, 0)
            if not have:
                continue
            self.fields[f"count_{qtype}"] = forms.IntegerField(label=label, min_value=0, max_value=200)
            self.fields[f"score_{qtype}"] = forms.DecimalField(
                label=_("Score each"), min_value=Decimal("0.5"), max_value=100, decimal_places=1
            )
            self.rows.append(
                {
                    "qtype": qtype,
                    "label": label,
                    "have": have,
                    "count": self[f"count_{qtype}"],
                    "score": self[f"score_{qtype}"],
                }
            )

    def rules(self) -> list[TypeRule]:
        data = self.cleaned_data
        return [
            TypeRule(qtype=row["qtype"], count=data[f"count_{row['qtype']}"], score=data[f"score_{row['qtype']}"])
            for row in self.rows
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                rules_check(available=self.available, rules=self.rules())
            except WizardRefused as exc:
                field = exc.details.get("field")
                self.add_error(field if field in self.fields else None, exc.message)
        return data


class SessionStepForm(forms.ModelForm):
    """When, how long, how many tries, the pass mark, the certificate and who may sit."""

    eligible_posts = SessionForm.base_fields["eligible_posts"]

    class Meta:
        model = ExamSession
        fields = [
            "title",
            "opens_at",
            "closes_at",
            "duration_minutes",
            "attempts_allowed",
            "pass_score",
            "certificate_type",
            "eligible_posts",
            "eligible_enterprises",
        ]
        widgets = SessionForm.Meta.widgets

    def __init__(self, *args: Any, total: Decimal, enterprises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.total = total
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["certificate_type"].choices = [("", _("No certificate")), *CertificateType.choices]
        self.fields["eligible_enterprises"].queryset = enterprises
        self.fields["eligible_enterprises"].help_text = _("Leave empty to admit everyone your training centre serves.")
        self.fields["pass_score"].help_text = _("The paper's total is %(total)s points.") % {"total": total}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The window must close after it opens."))
        if data.get("pass_score") is not None:
            try:
                pass_score_check(pass_score=data["pass_score"], total=self.total)
            except WizardRefused as exc:
                self.add_error("pass_score", exc.message)
        return data
