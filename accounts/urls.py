"""Password reset by phone under /accounts/password/reset/phone/ (namespace ``accounts``).

Each view declares its route next to itself (``@pages.route``, core.routes); the imports
below register them."""

from accounts import views  # noqa: F401 - importing a view module registers its routes
from accounts.routes import pages

app_name = "accounts"
urlpatterns = pages.urlpatterns
