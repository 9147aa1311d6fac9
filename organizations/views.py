from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from core import fragments, todo
from core.ids import query_id
from core.import_errors import errors_context, errors_report_href
from core.import_views import import_page, import_upload
from organizations import roster as roster_import
from organizations import selectors
from organizations.models import Enterprise
from organizations.routes import pages
from organizations.validators import mask_id_number


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what this user may see, by their roles and scope. GET only: it computes
    the headline figures (analytics, through core.fragments.HOME), which may refresh their facts."""
    user = request.user
    roles = selectors.roles_of(user)
    todo_list = todo.home_for(user=user)
    context = {
        "roles": roles,
        # Learners see their to-do list (with an empty state); someone who also administers sees it only
        # when there is something in it, above the home of their other roles.
        "todo": todo_list if todo_list.learner and (todo_list.has_items or not roles - {"learner"}) else None,
        "scope": selectors.scope_summary(user),
        "person": selectors.person_of(user),
        "enterprise_count": selectors.enterprises_visible_to(user).count(),
        "people_count": selectors.people_visible_to(user).count(),
        # The enterprises this user keeps the roster of by grant (an enterprise admin's one or few);
        # a platform admin manages every enterprise and reaches them through the enterprise list.
        "managed_enterprises": (
            []
            if selectors.is_platform_admin(user)
            else list(selectors.enterprises_managed_by(user).annotate(people_count=Count("people"))[:20])
        ),
        # What the apps above add for this user (analytics: the headline figures of their scope).
        "home_fragments": fragments.render(fragments.HOME, request=request),
    }
    return render(request, "home.html", context)


class StaffStatus:
    """Which people the staff list shows."""

    CURRENT = "current"
    LEFT = "left"
    ALL = "all"


@pages.route("enterprises/", name="enterprise_list")
def enterprise_list(request: HttpRequest) -> HttpResponse:
    enterprises = selectors.enterprises_visible_to(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        enterprises = enterprises.filter(name__icontains=query)
    page = Paginator(enterprises, 50).get_page(request.GET.get("page"))
    return render(request, "organizations/enterprise_list.html", {"page": page, "q": query})


@pages.route("enterprises/<id:pk>/", name="enterprise_detail")
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The enterprise and its staff list: search, who works here now or has left, masked ID numbers;
    whoever manages the enterprise also sees phones and may edit a person or record that they left."""
    enterprise = get_object_or_404(selectors.enterprises_visible_to(request.user), pk=pk)
    manages = selectors.enterprises_managed_by(request.user).filter(pk=enterprise.pk).exists()
    people = selectors.people_visible_to(request.user).filter(enterprise=enterprise)
    query = request.GET.get("q", "").strip()
    people = selectors.people_matching(people, query, with_phone=manages)
    status = request.GET.get("status", StaffStatus.CURRENT)
    today = timezone.localdate()
    if status == StaffStatus.CURRENT:
        people = selectors.people_working(people, today=today)
    elif status == StaffStatus.LEFT:
        people = selectors.people_left(people, today=today)
    else:
        status = StaffStatus.ALL
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    rows = [(p, mask_id_number(p.id_number)) for p in page]
    statuses = [
        (StaffStatus.CURRENT, pgettext("person file", "Working here")),
        (StaffStatus.LEFT, pgettext("person file", "Left")),
        (StaffStatus.ALL, _("Everyone")),
    ]
    return render(
        request,
        "organizations/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "page": page,
            "rows": rows,
            "q": query,
            "status": status,
            "statuses": statuses,
            "manages": manages,
            "today": today,
        },
    )


@pages.route("me/", name="my_profile")
def my_profile(request: HttpRequest) -> HttpResponse:
    person = selectors.person_of(request.user)
    if person is None:
        raise PermissionDenied
    return render(
        request,
        "organizations/person_detail.html",
        {"person": person, "id_display": mask_id_number(person.id_number)},
    )


ROSTER_LISTED = 10


class RosterUploadForm(forms.Form):
    class Mode:
        DRY_RUN = "dry_run"
        IMPORT = "import"
        VALID_ONLY = "valid_only"

    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Enterprise"), empty_label=None)
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_("An .xlsx workbook or a .csv file (UTF-8 or GB18030)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
    mode = forms.ChoiceField(
        label=_("What to do"),
        choices=[
            (Mode.DRY_RUN, _("Check only: show what would change, write nothing")),
            (Mode.IMPORT, _("Import: nothing is imported if any row has an error")),
            (Mode.VALID_ONLY, _("Import the valid rows only, skip rows with errors")),
        ],
        initial=Mode.DRY_RUN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: object, enterprises: QuerySet[Enterprise], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["enterprise"]
        field.queryset = enterprises  # type: ignore[attr-defined]
        if enterprises[:2].count() > 1:
            # Someone who keeps several rosters names the enterprise: a preselected first one
            # would take a file meant for another.
            field.empty_label = _("Choose the enterprise")  # type: ignore[attr-defined]


def _managed_or_403(request: HttpRequest) -> QuerySet[Enterprise]:
    enterprises = selectors.enterprises_managed_by(request.user)
    if not enterprises.exists():
        raise PermissionDenied
    return enterprises


@pages.route("roster/", name="roster", methods=("GET", "POST"))
def roster(request: HttpRequest) -> HttpResponse:
    enterprises = _managed_or_403(request)
    result = None
    credentials_href = errors_href = ""
    if request.method == "POST":
        # Another enterprise's id is a 404, not a form error: it is not theirs to name.
        chosen = request.POST.get("enterprise", "")
        if chosen and not (chosen.isdigit() and enterprises.filter(pk=query_id(request.POST, "enterprise")).exists()):
            raise Http404
        form = RosterUploadForm(request.POST, request.FILES, enterprises=enterprises)
        if form.is_valid():
            mode = form.cleaned_data["mode"]
            result, credentials_href = import_upload(
                form,
                lambda upload: roster_import.import_roster(
                    enterprise=form.cleaned_data["enterprise"],
                    upload=upload,
                    dry_run=mode == RosterUploadForm.Mode.DRY_RUN,
                    valid_only=mode == RosterUploadForm.Mode.VALID_ONLY,
                ),
            )
            if result is not None:
                errors_href = errors_report_href(
                    user=request.user, source=form.cleaned_data["file"].name, errors=result.errors
                )
    else:
        initial = {}
        if (chosen_id := query_id(request.GET, "enterprise")) is not None:
            initial["enterprise"] = get_object_or_404(enterprises, pk=chosen_id)
        form = RosterUploadForm(initial=initial, enterprises=enterprises)
    return import_page(
        request,
        "organizations/roster.html",
        {
            # A few are listed with their staff links; a platform admin's hundreds are in the
            # enterprise list, which pages and searches.
            "enterprises": enterprises.annotate(people_count=Count("people"))[:ROSTER_LISTED],
            "enterprise_total": enterprises.count(),
            "form": form,
            "result": result,
            "credentials_href": credentials_href,
            **errors_context(errors=result.errors if result is not None else [], href=errors_href),
        },
    )


@pages.get("roster/template.xlsx", name="roster_template")
def roster_template(request: HttpRequest) -> HttpResponse:
    _managed_or_403(request)
    response = HttpResponse(
        roster_import.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename="员工花名册模板.xlsx")
    return response
