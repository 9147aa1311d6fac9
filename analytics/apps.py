from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Registers every indicator (analytics.indicators.register).
        from analytics import definitions, nav  # noqa: F401
        from core import background, navigation

        navigation.register("analytics", nav.nav_items, position=navigation.ANALYTICS)
        from analytics import home
        from core import fragments

        fragments.register(fragments.HOME, "analytics", home.home_figures)
        if background.periodic_jobs_wanted():
            # Celery beat runs it when scaled out (config/celery.py); idempotent, so several processes may.
            from django.conf import settings

            from analytics.exports import export_purge

            background.run_periodically(
                "analytics-purge-exports", export_purge, interval=settings.ANALYTICS_EXPORT_PURGE_SECONDS
            )
            from analytics.facts import facts_refresh

            background.run_periodically(
                "analytics-refresh-facts", facts_refresh, interval=settings.ANALYTICS_FACTS_REFRESH_SECONDS
            )
