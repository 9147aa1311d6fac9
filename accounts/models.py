from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

mainland_mobile = RegexValidator(r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number starting with 1."))


class User(AbstractUser):
    """A login. What the person does and where they belong lives in organizations."""

    display_name = models.CharField(pgettext_lazy("person", "name"), max_length=64, blank=True)
    phone = models.CharField(
        _("mobile phone"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[mainland_mobile],
    )
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    must_change_password = models.BooleanField(_("must change password at next login"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


def user_display(user: User) -> str:
    """How allauth names a user in its messages (settings.ACCOUNT_USER_DISPLAY)."""
    return str(user)
