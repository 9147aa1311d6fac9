"""The training pages under /training/ (namespace ``training``), the course builder included.

Each view declares its route next to itself (``@pages.route``, core.routes); the imports
below register them."""

from training import builder_views, library_views, views  # noqa: F401 - importing a view module registers its routes
from training.routes import pages

app_name = "training"
urlpatterns = pages.urlpatterns
