"""Password reset by phone, on the web (the token API has the same door in accounts.api)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import phone_reset
from accounts.adapter import normalize_phone
from accounts.phone_reset import PhoneResetRefused
from accounts.routes import pages

_SESSION_PHONE = "accounts:phone_reset_phone"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13912345678"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("New password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


def _refused(form: forms.Form, error: PhoneResetRefused, *, fields: dict[str, str]) -> int:
    """Put the refusal on the form field it concerns; the page's status (429 when told to wait)."""
    form.add_error(fields.get(error.details.get("field", ""), None), error.message)
    return error.status if error.status in (429, 503) else 400


@pages.route("", name="phone_reset", login=False)
@never_cache
@sensitive_post_parameters("phone")
def request_code(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            phone_reset.reset_code_send(request=request, phone=form.cleaned_data["phone"])
        except PhoneResetRefused as error:
            status = _refused(form, error, fields={"phone": "phone"})
        else:
            request.session[_SESSION_PHONE] = normalize_phone(form.cleaned_data["phone"])
            return redirect("accounts:phone_reset_confirm")
    elif request.method == "POST":
        status = 400
    context = {"form": form, "sms_available": phone_reset.sms_available()}
    return render(request, "accounts/phone_reset_request.html", context, status=status)


@pages.route("code/", name="phone_reset_confirm", login=False)
@never_cache
@sensitive_post_parameters("code", "password1", "password2")
def confirm(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(_SESSION_PHONE)
    if not phone:
        return redirect("accounts:phone_reset")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            phone_reset.password_reset_by_phone(
                request=request, phone=phone, code=form.cleaned_data["code"], password=form.cleaned_data["password1"]
            )
        except PhoneResetRefused as error:
            status = _refused(form, error, fields={"code": "code", "password": "password1"})
        else:
            del request.session[_SESSION_PHONE]
            messages.success(request, _("Your password has been reset. Sign in with the new password."))
            return redirect("account_login")
    elif request.method == "POST":
        status = 400
    context = {"form": form, "phone_tail": phone[-4:], "minutes": phone_reset.code_minutes()}
    return render(request, "accounts/phone_reset_confirm.html", context, status=status)
