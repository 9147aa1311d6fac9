"""The question-bank pages under /qb/ (namespace ``question_bank``).

Each view declares its route next to itself (``@pages.route``, core.routes); the imports
below register them."""

from question_bank import views  # noqa: F401 - importing a view module registers its routes
from question_bank.routes import pages

app_name = "question_bank"
urlpatterns = pages.urlpatterns
