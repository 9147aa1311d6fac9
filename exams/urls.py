"""The exam pages under /exams/ (namespace ``exams``).

Each view declares its route next to itself (``@pages.route``, core.routes); the imports
below register them."""

from exams import certificate_views, views, wizard_views  # noqa: F401 - importing a view module registers its routes
from exams.routes import pages

app_name = "exams"
urlpatterns = pages.urlpatterns
