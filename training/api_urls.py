"""The training API, included under /api/v1/ (namespace ``api``) by config.urls.

Each view declares its route next to itself (``@endpoints.route``, core.routes); the imports
below register them."""

from training import api, library_api  # noqa: F401 - importing a view module registers its routes
from training.routes import endpoints

urlpatterns = endpoints.urlpatterns
