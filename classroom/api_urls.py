"""The classroom API, included under /api/v1/ (namespace ``api``) by config.urls.

Each view declares its route next to itself (``@endpoints.route``, core.routes); the import
below registers them."""

from classroom import api  # noqa: F401 - importing a view module registers its routes
from classroom.routes import endpoints

urlpatterns = endpoints.urlpatterns
