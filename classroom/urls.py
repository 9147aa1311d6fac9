"""The class pages under /classes/ (namespace ``classroom``).

Each view declares its route next to itself (``@pages.route``, core.routes); the import
below registers them."""

from classroom import views  # noqa: F401 - importing a view module registers its routes
from classroom.routes import pages

app_name = "classroom"
urlpatterns = pages.urlpatterns
