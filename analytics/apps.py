from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Registers every indicator (analytics.indicators.register).
        from analytics import definitions, nav  # noqa: F401
        from core import navigation

        navigation.register("analytics", nav.nav_items, position=navigation.ANALYTICS)
