from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.api import PhoneResetCodeView, PhoneResetView, TokenView
from core import health, views
from core.ids import IdDefaultRouter
from organizations import views as organization_views
from organizations.api import EnterpriseViewSet, JurisdictionViewSet, MeView, PersonViewSet

router = IdDefaultRouter()
router.register("jurisdictions", JurisdictionViewSet, basename="jurisdiction")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("people", PersonViewSet, basename="person")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/password-reset/phone/", PhoneResetCodeView.as_view(), name="api-phone-reset-code"),
    path("auth/password-reset/phone/confirm/", PhoneResetView.as_view(), name="api-phone-reset"),
    path("me/", MeView.as_view(), name="api-me"),
    # Exams first: an examinee's start, autosave and submit are the hottest routes.
    path("", include("exams.api_urls")),
    path("", include("proctoring.api_urls")),
    path("", include("training.api_urls")),
    path("", include("question_bank.api_urls")),
    path("", include("analytics.api_urls")),
    path("", include("classroom.api_urls")),  # clcore (issue 18)
    path("", include(router.urls)),
]

admin.site.login = views.admin_login  # type: ignore[method-assign]
admin.site.site_header = admin.site.site_title = "safetrain"

# Each app's pages under its prefix, in this order (accounts/public/ before allauth's accounts/).
APP_PAGES = [
    ("accounts/public/", "training.public_urls"),
    ("accounts/password/reset/phone/", "accounts.urls"),
    ("accounts/", "allauth.urls"),
    ("i18n/", "django.conf.urls.i18n"),
    ("org/", "organizations.urls"),
    ("import/", "core.import_urls"),
    ("qb/", "question_bank.urls"),
    ("training/", "training.urls"),
    ("exams/", "exams.urls"),
    ("proctoring/", "proctoring.urls"),
    ("stats/", "analytics.urls"),
    ("classes/", "classroom.urls"),
    ("classes/", "classroom.evidence_urls"),  # clevid: a class's evidence (attendance sheet, site photos)
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("", organization_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    *(path(prefix, include(module)) for prefix, module in APP_PAGES),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Signed-in users only (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); a person is sent to the login page.
    path("api/docs/", login_required(views.api_docs()), name="api-docs"),
]
