"""The proctoring pages under /proctoring/ (namespace ``proctoring``).

Each view declares its route next to itself (``@pages.route``, core.routes); the imports
below register them."""

from proctoring import views  # noqa: F401 - importing a view module registers its routes
from proctoring.routes import pages

app_name = "proctoring"
urlpatterns = pages.urlpatterns
