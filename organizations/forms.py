"""Forms of the staff list: edit a person, record that they leave."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import mainland_mobile
from organizations.models import Person
from organizations.validators import normalize_id_number, validate_id_number


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value: Any) -> str | None:
        # <input type=date> reads ISO dates only, whatever the active language's date format.
        return value.isoformat() if hasattr(value, "isoformat") else value


class PersonEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    id_number = forms.CharField(
        label=_("ID card number"),
        max_length=18,
        help_text=_("Shown in full only here, to the enterprise's administrators; everywhere else it is masked."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=11,
        required=False,
        validators=[mainland_mobile],
        help_text=_("The person can sign in with it."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "off"}),
    )
    post = forms.ChoiceField(
        label=_("Post"),
        choices=Person.Post.choices,
        help_text=_("A new post counts from today; the earlier post stays in the employment history."),
    )
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    hire_date = forms.DateField(label=_("Hire date"), widget=DateInput)

    def clean_id_number(self) -> str:
        value = normalize_id_number(self.cleaned_data["id_number"])
        validate_id_number(value)
        return value

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        return {
            "name": person.name,
            "id_number": person.id_number,
            "phone": person.user.phone or "",
            "post": person.post,
            "department": person.department,
            "hire_date": person.hire_date,
        }


class PersonLeaveForm(forms.Form):
    leave_date = forms.DateField(
        label=_("Leave date"),
        widget=DateInput,
        help_text=_("The last day of work. Their training file is kept."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"leave_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
