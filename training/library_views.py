"""The lesson-plan library pages (/training/library/…).

Plans are found through ``selectors.lesson_plans_visible_to`` (others get a 404), edited through
``lesson_plans_managed_by``; every change calls one function of ``training.services.library``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.http import FileGone, file_is_stored, page_of, refusal_message, refusal_on_form, stored_file
from training import selectors
from training.file_responses import lesson_plan_page_response, page_url_pattern
from training.library_forms import CourseOfferForm, DecideForm, LessonPlanForm, LibrarySearchForm, OfferForm
from training.models import LessonPlan, LibraryOffer
from training.office_preview import OfficeUnreadable, docx_outline, pptx_outline
from training.routes import pages
from training.services import library
from training.services.errors import LibraryError


def _require_library(request: HttpRequest) -> None:
    if not selectors.uses_library(request.user):
        raise PermissionDenied


def _form_error(form: Any, exc: LibraryError) -> None:
    """Put a service refusal on the field it names (or the whole form)."""
    errors = exc.details.get("errors") or {}
    placed = False
    for field, messages_ in errors.items():
        if field in form.fields:
            for message in messages_:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _with_districts(plans: QuerySet[LessonPlan]) -> QuerySet[LessonPlan]:
    """Each plan with the districts whose library accepted it (``plan.accepted_offers``): a provider's plan
    kept "only by its owner" still reaches those districts, and its line says so."""
    accepted = LibraryOffer.objects.filter(status=LibraryOffer.Status.ACCEPTED).select_related("district")
    return plans.prefetch_related(Prefetch("library_offers", queryset=accepted, to_attr="accepted_offers"))


@pages.get("library/", name="library")
def library_list(request: HttpRequest) -> HttpResponse:
    _require_library(request)
    form = LibrarySearchForm(request.GET or None)
    plans = selectors.lesson_plans_visible_to(request.user)
    if form.is_valid():
        plans = selectors.lesson_plans_matching(plans, **form.cleaned_data)
    page, query = page_of(request, _with_districts(plans), 20)
    return render(
        request,
        "training/library/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_upload": selectors.can_build_courses(request.user),
            "awaiting": selectors.library_offers_awaiting(request.user).count(),
        },
    )


@pages.get("library/<id:pk>/", name="library_detail")
def library_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(_with_districts(selectors.lesson_plans_visible_to(request.user)), pk=pk)
    manages = selectors.lesson_plans_managed_by(request.user).filter(pk=plan.pk).exists()
    offers = selectors.library_offers_visible_to(request.user).filter(lesson_plan=plan)
    return render(
        request,
        "training/library/detail.html",
        {
            "plan": plan,
            "manages": manages,
            "offers": offers,
            "offer_form": OfferForm() if manages and plan.owner_provider_id else None,
            "decide_form": DecideForm(),
            "awaiting": selectors.library_offers_awaiting(request.user).filter(lesson_plan=plan),
            **_preview(plan),
        },
    )


def _preview(plan: LessonPlan) -> dict[str, Any]:
    """The preview of a plan: a PDF's page images (how many pages, and their URL: ``page_url_pattern``);
    a Word document's or slide deck's text (``outline``: ``training.office_preview``). None for a file
    that cannot be read; ``file_missing`` for a file that storage no longer holds (purged, restored from a
    backup without its files), so the page says so instead of broken page images and a download that fails."""
    if plan.file_type in (LessonPlan.FileType.DOCX, LessonPlan.FileType.PPTX):
        read = docx_outline if plan.file_type == LessonPlan.FileType.DOCX else pptx_outline
        try:
            with stored_file(plan.file) as handle:
                return {"outline": read(handle)}
        except FileGone:
            return {"file_missing": True}
        except (OfficeUnreadable, Http404):
            return {}
    if not file_is_stored(plan.file):
        return {"file_missing": True}
    count = plan.page_count
    if not count:
        return {}
    pattern = page_url_pattern("training:library_page", plan.pk, version=plan.file.name)
    return {"page_count": count, "page_url": pattern, "first_page_url": pattern.format(page=1)}


@pages.get("library/<id:pk>/file/", name="library_file")
def library_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's file from private storage, after the scope check: a PDF inline (opened in a tab of
    its own; the preview shows ``library_page``'s images), an office file as a download."""
    plan = get_object_or_404(selectors.lesson_plans_visible_to(request.user), pk=pk)
    inline = plan.file_type == LessonPlan.FileType.PDF and request.GET.get("download") != "1"
    response = FileResponse(
        stored_file(plan.file),
        content_type=library.content_type_of(plan),
        as_attachment=not inline,
        filename=plan.file_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@pages.get("library/<id:pk>/pages/<id:number>/", name="library_page")
def library_page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One page of a PDF plan as an image for the preview, after the same scope check as ``library_file``
    (``lesson_plan_page_response``, as the API's ``lesson-plan-page``)."""
    plan = get_object_or_404(selectors.lesson_plans_visible_to(request.user), pk=pk)
    return lesson_plan_page_response(plan, number)


def _plan_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "topic": data.get("topic", ""),
        "industry": data.get("industry"),
        "level": data["level"],
        "credit_hours": data["credit_hours"],
        "share": data["share"],
        "shared_with": data.get("shared_with"),
    }


@pages.route("library/new/", name="library_upload", methods=("GET", "POST"))
def library_upload(request: HttpRequest) -> HttpResponse:
    if not selectors.can_build_courses(request.user):
        raise PermissionDenied
    form = LessonPlanForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form, LibraryError, place=_form_error):
            plan = library.plan_upload(
                by=request.user,
                owner_provider=form.cleaned_data["owner_provider"],
                owner_enterprise=form.cleaned_data["owner_enterprise"],
                upload=form.cleaned_data["file"],
                **_plan_fields(form.cleaned_data),
            )
            messages.success(request, _("Lesson plan uploaded."))
            return redirect("training:library_detail", pk=plan.pk)
    return render(request, "training/library/form.html", {"form": form, "plan": None})


@pages.route("library/<id:pk>/edit/", name="library_edit", methods=("GET", "POST"))
def library_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(selectors.lesson_plans_managed_by(request.user), pk=pk)
    form = LessonPlanForm(request.POST or None, request.FILES or None, user=request.user, plan=plan)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form, LibraryError, place=_form_error):
            library.plan_update(
                plan=plan, by=request.user, upload=form.cleaned_data.get("file"), **_plan_fields(form.cleaned_data)
            )
            messages.success(request, _("Lesson plan saved."))
            return redirect("training:library_detail", pk=plan.pk)
    return render(request, "training/library/form.html", {"form": form, "plan": plan})


@pages.post("library/<id:pk>/delete/", name="library_delete")
def library_delete(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(selectors.lesson_plans_managed_by(request.user), pk=pk)
    if request.POST.get("confirm") != "1":
        # The page's button says so; a bare POST deletes nothing.
        return redirect("training:library_detail", pk=plan.pk)
    with refusal_message(request, LibraryError):
        library.plan_delete(plan=plan, by=request.user)
        messages.success(request, _("Lesson plan deleted."))
        return redirect("training:library_mine")
    return redirect("training:library_detail", pk=plan.pk)


@pages.post("library/<id:pk>/offer/", name="library_offer")
def library_offer(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(selectors.lesson_plans_managed_by(request.user), pk=pk)
    form = OfferForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the district to offer the lesson plan to."))
        return redirect("training:library_detail", pk=plan.pk)
    with refusal_message(request, LibraryError):
        offer = library.offer_create(by=request.user, district=form.cleaned_data["district"], lesson_plan=plan)
        messages.success(request, _("Offered to %(district)s.") % {"district": offer.district.name})
    return redirect("training:library_detail", pk=plan.pk)


@pages.route("library/mine/", name="library_mine", methods=("GET", "POST"))
def library_mine(request: HttpRequest) -> HttpResponse:
    """我的教案: the plans of the user's organisations, their offers, and a course offer form."""
    _require_library(request)
    course_form = CourseOfferForm(request.POST or None, user=request.user)
    if request.method == "POST" and course_form.is_valid():
        with refusal_on_form(course_form, LibraryError, place=_form_error):
            offer = library.offer_create(by=request.user, **course_form.cleaned_data)  # district, course
            messages.success(request, _("Offered to %(district)s.") % {"district": offer.district.name})
            return redirect("training:library_mine")
    providers = selectors.library_owners_for(request.user)[0]
    offers = selectors.library_offers_visible_to(request.user).filter(provider__in=providers)
    return render(
        request,
        "training/library/mine.html",
        {
            "plans": _with_districts(selectors.lesson_plans_managed_by(request.user))[:200],
            "offers": offers[:200],
            "course_form": course_form if course_form.fields["course"].queryset.exists() else None,
        },
    )


@pages.get("library/queue/", name="library_queue")
def library_queue(request: HttpRequest) -> HttpResponse:
    """待接收: offers awaiting a decision from the districts this user accepts for."""
    if not selectors.library_districts_accepted_by(request.user).exists():
        raise PermissionDenied
    return render(
        request,
        "training/library/queue.html",
        {"offers": selectors.library_offers_awaiting(request.user)[:200], "decide_form": DecideForm()},
    )


@pages.post("library/offers/<id:pk>/withdraw/", name="library_offer_withdraw")
def offer_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(selectors.library_offers_visible_to(request.user), pk=pk)
    with refusal_message(request, LibraryError):
        library.offer_withdraw(offer=offer, by=request.user)
        messages.success(request, _("Offer withdrawn."))
    return redirect("training:library_mine")


@pages.post("library/offers/<id:pk>/decide/", name="library_offer_decide")
def offer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(selectors.library_offers_visible_to(request.user), pk=pk)
    form = DecideForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    with refusal_message(request, LibraryError):
        decided = library.offer_decide(
            offer=offer, by=request.user, accept=request.POST.get("decision") == "accept", note=note
        )
        if decided.status == LibraryOffer.Status.ACCEPTED:
            messages.success(request, _("Offer accepted: the district now finds it in its library."))
        else:
            messages.success(request, _("Offer rejected."))
    return redirect("training:library_queue")
