from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Project infrastructure that every app may use and that knows no feature app."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models import ForeignObject
        from django.urls import register_converter

        from core import background, import_views, navigation
        from core.ids import IdConverter, RelatedExactInRange
        from core.import_jobs import import_records_purge

        # Before any URLconf is imported: ``<id:pk>`` in every app's urls.py and in config.routing.
        register_converter(IdConverter, "id")
        ForeignObject.register_lookup(RelatedExactInRange, lookup_name="exact")
        # The import page lists the kinds the apps register (core.tabular); shown to whoever may use one.
        navigation.register("core.imports", import_views.nav_items, position=navigation.ORGANIZATIONS + 1)
        if background.periodic_jobs_wanted():
            # Celery beat runs it when scaled out (config/celery.py); idempotent, so several processes may.
            background.run_periodically(
                "core-purge-import-errors", import_records_purge, interval=settings.IMPORT_ERRORS_PURGE_SECONDS
            )
