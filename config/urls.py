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
    # the lesson-plan library (lplib)
    path("", include("training.library_api_urls")),
    path("", include(router.urls)),
]

admin.site.login = views.admin_login  # type: ignore[method-assign]
admin.site.site_header = admin.site.site_title = "safetrain"

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("", organization_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/public/", include("training.public_urls")),
    path("accounts/password/reset/phone/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("organizations.urls")),
    path("import/", include("core.import_urls")),
    path("qb/", include("question_bank.urls")),
    path("training/", include("training.urls")),
    path("exams/", include("exams.urls")),
    path("proctoring/", include("proctoring.urls")),
    path("stats/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Signed-in users only (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); a person is sent to the login page.
    path("api/docs/", login_required(views.api_docs()), name="api-docs"),
]
