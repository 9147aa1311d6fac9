"""The evidence of a class (attendance sheet, site photos) under /classes/ (namespace ``classroom_evidence``).

Each view declares its route next to itself (``@evidence_pages.route``, core.routes); the import
below registers them."""

from classroom import evidence_views  # noqa: F401 - importing a view module registers its routes
from classroom.routes import evidence_pages

app_name = "classroom_evidence"
urlpatterns = evidence_pages.urlpatterns
