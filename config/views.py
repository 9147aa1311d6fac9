from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.http import safe_next
from organizations import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = selectors.roles_of(user)
    context = {
        "roles": roles,
        "scope": selectors.scope_summary(user),
        "person": selectors.person_of(user),
        "enterprise_count": selectors.enterprises_visible_to(user).count(),
        "people_count": selectors.people_visible_to(user).count(),
        "managed_enterprises": list(selectors.enterprises_managed_by(user)[:20]),
    }
    return render(request, "home.html", context)


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The Django admin sits behind the site's own login (rate limits, MFA)."""
    if request.user.is_authenticated:
        # Signed in but not staff: a redirect to the login page would loop.
        raise PermissionDenied
    return redirect_to_login(safe_next(request, reverse("admin:index")), reverse("account_login"))
