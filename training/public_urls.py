"""Self-registration of public learners: a sign-up page, mounted beside the
other account pages (anonymous by design).

Each view declares its route next to itself (``@public.route``, core.routes); the imports
below register them."""

from training import views  # noqa: F401 - importing a view module registers its routes
from training.routes import public

app_name = "training_public"
urlpatterns = public.urlpatterns
