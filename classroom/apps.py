from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomConfig(AppConfig):
    """Classroom training (课堂培训): scheduled classes, rotating sign-in codes, attendance credited to the 学时 ledger."""

    name = "classroom"
    verbose_name = _("Classroom training")
