"""Project pages that belong to no app: the admin's login door, the favicon and the API documentation."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.http import csp_replace_everywhere, safe_next


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The Django admin sits behind the site's own login (rate limits, MFA)."""
    if request.user.is_authenticated:
        # Signed in but not staff: a redirect to the login page would loop.
        raise PermissionDenied
    return redirect_to_login(safe_next(request, reverse("admin:index")), reverse("account_login"))


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the logo."""
    return HttpResponsePermanentRedirect(static("img/logo.svg"))


def _inline_style_hashes(template_name: str) -> list[str]:
    """CSP hashes of the fixed <style> blocks of a third-party template."""
    source = loader.get_template(template_name).template.source
    blocks = re.findall(r"<style>(.*?)</style>", source, re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks]


def api_docs() -> Callable[..., HttpResponse]:
    """Swagger UI with its script in a file of its own (the split view), so the site's
    policy holds there too; only drf-spectacular's fixed <style> block is allowed, by hash."""
    view = SpectacularSwaggerSplitView.as_view(url_name="schema")
    styles = ["'self'", *_inline_style_hashes("drf_spectacular/swagger_ui.html")]
    return csp_replace_everywhere({"style-src": styles})(view)
