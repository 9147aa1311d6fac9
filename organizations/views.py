from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from organizations import selectors
from organizations.models import Person
from organizations.validators import mask_id_number


def _id_display(user: object, person: Person, managed_ids: set[int]) -> str:
    return person.id_number if person.pk in managed_ids else mask_id_number(person.id_number)


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    enterprises = selectors.enterprises_visible_to(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        enterprises = enterprises.filter(name__icontains=query)
    page = Paginator(enterprises, 50).get_page(request.GET.get("page"))
    return render(request, "organizations/enterprise_list.html", {"page": page, "q": query})


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(selectors.enterprises_visible_to(request.user), pk=pk)
    people = selectors.people_visible_to(request.user).filter(enterprise=enterprise)
    managed = set(selectors.people_managed_by(request.user).filter(enterprise=enterprise).values_list("pk", flat=True))
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    rows = [(p, _id_display(request.user, p, managed)) for p in page]
    return render(
        request, "organizations/enterprise_detail.html", {"enterprise": enterprise, "page": page, "rows": rows}
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(selectors.people_visible_to(request.user), pk=pk)
    managed = set(selectors.people_managed_by(request.user).filter(pk=pk).values_list("pk", flat=True))
    return render(
        request,
        "organizations/person_detail.html",
        {"person": person, "id_display": _id_display(request.user, person, managed)},
    )


@login_required
def my_profile(request: HttpRequest) -> HttpResponse:
    person = selectors.person_of(request.user)
    if person is None:
        raise PermissionDenied
    managed = set(selectors.people_managed_by(request.user).filter(pk=person.pk).values_list("pk", flat=True))
    return render(
        request,
        "organizations/person_detail.html",
        {"person": person, "id_display": _id_display(request.user, person, managed)},
    )


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    enterprises = selectors.enterprises_managed_by(request.user)
    if not enterprises.exists():
        raise PermissionDenied
    return render(request, "organizations/roster.html", {"enterprises": enterprises})
