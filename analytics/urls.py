"""The statistics pages under /stats/ (namespace ``analytics``), exports included.

Each view declares its route next to itself (``@pages.route``, core.routes); the imports
below register them."""

from analytics import export_views, views  # noqa: F401 - importing a view module registers its routes
from analytics.routes import pages

app_name = "analytics"
urlpatterns = pages.urlpatterns
