"""Proctoring's step in the exam wizard (``core.wizard_steps``, registered in ``ProctoringConfig.ready``).

On by default for an exam that issues a certificate; the policy is the default
one (``ProctoringPolicy``'s field defaults) with its three most asked-about
choices on the page. Everything else stays editable on the policy page later.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.wizard_steps import WizardStep
from proctoring.models import ProctoringPolicy
from proctoring.services.actions import policy_set

NAME = "proctoring"
POLICY_FIELDS = ["require_identity_check", "require_liveness", "tab_submit_at"]


class ProctoringStepForm(forms.ModelForm):
    enabled = forms.BooleanField(
        required=False,
        label=gettext_lazy("Proctor this exam"),
        help_text=gettext_lazy(
            "Identity check before the exam, face snapshots during it and tab-switch rules, with the default policy."
        ),
    )

    class Meta:
        model = ProctoringPolicy
        fields = POLICY_FIELDS

    field_order = ["enabled", *POLICY_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The default policy warns at the first switch (tab_warn_at): an automatic submit comes no earlier.
        self.fields["tab_submit_at"].min_value = 1
        self.fields["tab_submit_at"].validators.append(MinValueValidator(1))
        self.fields["tab_submit_at"].widget.attrs["min"] = 1


def initial(*, certificate: bool) -> dict[str, Any]:
    defaults = {name: ProctoringPolicy._meta.get_field(name).get_default() for name in POLICY_FIELDS}
    return {"enabled": certificate, **defaults}


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def summary(data: dict[str, Any]) -> list[tuple[str, str]]:
    if not data.get("enabled"):
        return [(_("Proctoring"), _("Not proctored"))]
    field = ProctoringPolicy._meta.get_field
    tab_submit = data.get("tab_submit_at")
    return [
        (_("Proctoring"), _("Proctored, default policy")),
        (str(field("require_identity_check").verbose_name), _yes_no(data.get("require_identity_check", False))),
        (str(field("require_liveness").verbose_name), _yes_no(data.get("require_liveness", False))),
        (str(field("tab_submit_at").verbose_name), str(tab_submit) if tab_submit else _("Never")),
    ]


def apply(*, session: Any, data: dict[str, Any], by: Any) -> None:
    """The session's policy when the trainer asked for proctoring: the defaults and the chosen fields."""
    if data.get("enabled"):
        policy_set(session=session, **{name: data[name] for name in POLICY_FIELDS if name in data})


STEP = WizardStep(
    name=NAME,
    title=gettext_lazy("Proctoring"),
    form_class=ProctoringStepForm,
    initial=initial,
    summary=summary,
    apply=apply,
)
