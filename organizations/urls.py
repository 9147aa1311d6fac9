"""The organisation pages under /org/ (namespace ``organizations``).

Each view declares its route next to itself (``@pages.route``, core.routes); the imports
below register them."""

from organizations import person_views, views  # noqa: F401 - importing a view module registers its routes
from organizations.routes import pages

app_name = "organizations"
urlpatterns = pages.urlpatterns
