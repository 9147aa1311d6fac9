from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from django.conf import settings

        # definitions: registers every indicator (analytics.indicators.register).
        from analytics import definitions, home, nav  # noqa: F401
        from analytics.exports import export_purge
        from analytics.facts import facts_refresh
        from core import background, fragments, navigation

        navigation.register("analytics", nav.nav_items, position=navigation.ANALYTICS)
        fragments.register(fragments.HOME, "analytics", home.home_figures)
        if background.periodic_jobs_wanted():
            # Celery beat runs them when scaled out (config/celery.py); idempotent, so several processes may.
            background.run_periodically(
                "analytics-purge-exports", export_purge, interval=settings.ANALYTICS_EXPORT_PURGE_SECONDS
            )
            background.run_periodically(
                "analytics-refresh-facts", facts_refresh, interval=settings.ANALYTICS_FACTS_REFRESH_SECONDS
            )
