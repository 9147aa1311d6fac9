from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data of ``make run`` (``manage.py seed_demo``), built on every app: a composition root, like config."""

    name = "demo"
    verbose_name = _("Demo data")
