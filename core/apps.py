from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Project infrastructure that every app may use and that knows no feature app."""

    name = "core"
    verbose_name = _("Core")
