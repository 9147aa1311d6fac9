"""The exam wizard (考试向导): bank → paper → session → registered steps (proctoring) → summary and 创建.

Nothing is stored until the last step: every page posts the values of all the
steps so far (the other steps' as hidden inputs), each step's form is rebuilt
from them, and ``exams.services.wizard.exam_wizard_create`` writes everything
in one transaction. A step's form is bound once its page has been shown
(``seen-<step>``), so going back and forth keeps what the trainer typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core import wizard_steps
from exams import selectors
from exams.routes import pages
from exams.services.errors import PoolTooSmall, WizardRefused
from exams.services.wizard import (
    ATTEMPTS,
    DURATION_MINUTES,
    default_pass_score,
    default_rules,
    default_window,
    exam_wizard_create,
    paper_total,
)
from exams.wizard_forms import BankStepForm, RulesStepForm, SessionStepForm
from organizations.models import TrainingProvider
from organizations.selectors import enterprise_ids_managed_by, enterprises_visible_to, provider_ids_managed_by
from question_bank.models import AUTO_GRADED_TYPES, Bank
from question_bank.selectors import banks_managed_by


@dataclass(frozen=True)
class Step:
    name: str
    title: Any
    build: Callable[..., forms.Form]  # (data, initial, earlier) -> the step's form
    initial: Callable[[dict[str, Any]], dict[str, Any]]  # (earlier) -> defaults
    summary: Callable[[forms.Form], list[tuple[str, str]]]


def _bank_counts(banks: Any) -> dict[int, int]:
    rows = banks.annotate(
        n=Count("questions", filter=Q(questions__is_active=True, questions__type__in=AUTO_GRADED_TYPES))
    ).values_list("pk", "n")
    return dict(rows)


def _steps(request: HttpRequest) -> list[Step]:
    user = request.user
    banks = banks_managed_by(user)
    enterprises = enterprises_visible_to(user)

    def bank_form(data: Any, initial: dict[str, Any], earlier: dict[str, Any]) -> forms.Form:
        return BankStepForm(data, initial=initial, prefix="bank", banks=banks, counts=_bank_counts(banks))

    def bank_initial(earlier: dict[str, Any]) -> dict[str, Any]:
        only = list(banks[:2])
        return {"bank": only[0].pk} if len(only) == 1 else {}  # a trainer with one bank has chosen it

    def rules_form(data: Any, initial: dict[str, Any], earlier: dict[str, Any]) -> forms.Form:
        return RulesStepForm(data, initial=initial, prefix="rules", available=earlier["available"])

    def rules_initial(earlier: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {"paper_name": _("%(bank)s paper") % {"bank": earlier["bank"].name}}
        for rule in default_rules(earlier["available"]):
            initial[f"count_{rule.qtype}"], initial[f"score_{rule.qtype}"] = rule.count, rule.score
        return initial

    def session_form(data: Any, initial: dict[str, Any], earlier: dict[str, Any]) -> forms.Form:
        return SessionStepForm(data, initial=initial, prefix="session", total=earlier["total"], enterprises=enterprises)

    def session_initial(earlier: dict[str, Any]) -> dict[str, Any]:
        opens, closes = default_window(timezone.localtime())
        return {
            "title": _("%(bank)s exam") % {"bank": earlier["bank"].name},
            "opens_at": opens,
            "closes_at": closes,
            "duration_minutes": DURATION_MINUTES,
            "attempts_allowed": ATTEMPTS,
            "pass_score": default_pass_score(earlier["total"]),
            # The trainer's own scope: the enterprises they also administer; none = the centre's whole area.
            "eligible_enterprises": list(enterprises.filter(pk__in=enterprise_ids_managed_by(user))),
        }

    def extra(step: wizard_steps.WizardStep) -> Step:
        return Step(
            name=step.name,
            title=step.title,
            build=lambda data, initial, earlier: step.form_class(data, initial=initial, prefix=step.name),
            initial=lambda earlier: step.initial(certificate=bool(earlier["data"]["session"].get("certificate_type"))),
            summary=lambda form: step.summary(form.cleaned_data),
        )

    return [
        Step("bank", gettext_lazy("Question bank"), bank_form, bank_initial, _bank_summary),
        Step("rules", gettext_lazy("Paper"), rules_form, rules_initial, _rules_summary),
        Step("session", gettext_lazy("Exam session"), session_form, session_initial, _session_summary),
        *(extra(step) for step in wizard_steps.steps()),
    ]


def _bank_summary(form: forms.Form) -> list[tuple[str, str]]:
    return [(_("Question bank"), form.cleaned_data["bank"].name)]


def _rules_summary(form: forms.Form) -> list[tuple[str, str]]:
    assert isinstance(form, RulesStepForm)
    rules = form.rules()
    rows = [(_("Paper name"), form.cleaned_data["paper_name"])]
    labels = {row["qtype"]: row["label"] for row in form.rows}
    rows += [
        (str(labels[r.qtype]), _("%(count)d × %(score)s points") % {"count": r.count, "score": r.score})
        for r in rules
        if r.count
    ]
    rows.append((pgettext("score", "Total"), _("%(total)s points") % {"total": paper_total(rules)}))
    return rows


def _session_summary(form: forms.Form) -> list[tuple[str, str]]:
    data = form.cleaned_data
    when = "%Y-%m-%d %H:%M"
    audience = "、".join(e.name for e in data["eligible_enterprises"]) or _("Everyone your training centre serves")
    posts = dict(form.fields["eligible_posts"].choices)
    rows = [
        (_("Title"), data["title"]),
        (
            _("Window"),
            # Two lines on a phone (the summary keeps line breaks): opening, then closing.
            f"{timezone.localtime(data['opens_at']).strftime(when)}\n– {timezone.localtime(data['closes_at']).strftime(when)}",
        ),
        (_("Duration"), _("%(minutes)d minutes") % {"minutes": data["duration_minutes"]}),
        (_("Attempts allowed"), str(data["attempts_allowed"])),
        (_("Pass mark"), _("%(score)s points") % {"score": data["pass_score"]}),
        (_("Certificate"), dict(form.fields["certificate_type"].choices)[data["certificate_type"]]),
        (_("Who may sit"), audience),
    ]
    if data["eligible_posts"]:
        rows.append((_("Posts"), "、".join(str(posts[p]) for p in data["eligible_posts"])))
    return rows


def _earlier_after(step: Step, form: forms.Form, earlier: dict[str, Any]) -> None:
    """What the later steps need from this valid step."""
    if step.name == "bank":
        earlier["bank"] = form.cleaned_data["bank"]
        earlier["available"] = selectors.bank_type_counts(earlier["bank"].pk)
    elif step.name == "rules":
        assert isinstance(form, RulesStepForm)
        earlier["rule_list"] = form.rules()
        earlier["total"] = paper_total(earlier["rule_list"])
    earlier["data"][step.name] = form.cleaned_data


def _provider_for(user: Any, bank: Bank) -> TrainingProvider | None:
    if bank.owner_id:
        return bank.owner
    managed = provider_ids_managed_by(user)
    return TrainingProvider.objects.filter(pk__in=managed).first() if managed else None


@pages.route("manage/wizard/", name="exam_wizard", methods=("GET", "POST"))
def exam_wizard(request: HttpRequest) -> HttpResponse:
    if not selectors.is_exam_manager(request.user):
        raise PermissionDenied
    steps = _steps(request)
    summary_index = len(steps)
    data = request.POST.copy() if request.method == "POST" else None
    if data is None:
        # "用此题库创建考试" on a bank's page: the bank is chosen, the wizard opens at the paper.
        wanted = request.GET.get("bank", "")
        if wanted:
            if not wanted.isdigit() or not banks_managed_by(request.user).filter(pk=int(wanted)).exists():
                raise Http404
            data = request.POST.copy()
            data.update({"seen-bank": "1", "bank-bank": wanted})
            target = 1
        else:
            target = 0
    else:
        current = _int(data.get("step"), 0, summary_index)
        action = data.get("action", "next")
        if action == "back":
            target = max(current - 1, 0)
        elif action.startswith("goto-"):
            target = min(_int(action[5:], 0, summary_index), current)
        elif action == "create":
            target = summary_index + 1
        else:
            target = current + 1

    earlier: dict[str, Any] = {"data": {}}  # each valid step's cleaned data, and what later steps need
    shown, shown_form, summary = summary_index, None, []
    for index, step in enumerate(steps):
        bound = data is not None and f"seen-{step.name}" in data
        form = step.build(data if bound else None, step.initial(earlier), earlier)
        # Validate the steps before the target; show the target, or the first earlier step that is wrong.
        if index >= target or not bound or not form.is_valid():
            shown, shown_form = index, form
            break
        _earlier_after(step, form, earlier)
        summary.append((index, step.title, step.summary(form)))

    if shown_form is None and target > summary_index:
        refused = _create(request, earlier, steps)
        if isinstance(refused, HttpResponse):
            return refused
        shown, field, message = refused
        shown_form = steps[shown].build(data, {}, earlier)
        shown_form.is_valid()
        shown_form.add_error(field if field in shown_form.fields else None, message)
        summary = summary[:shown]

    hidden = _carried(data, steps[shown].name if shown_form is not None else None)
    return render(
        request,
        "exams/wizard.html",
        {
            "steps": [s.title for s in steps] + [_("Summary")],
            "index": shown,
            "step": steps[shown] if shown_form is not None else None,
            "form": shown_form,
            "hidden": hidden,
            "summary": summary,
            "is_summary": shown_form is None,
            "bank_step": shown_form is not None and steps[shown].name == "bank",
        },
    )


def _create(request: HttpRequest, earlier: dict[str, Any], steps: list[Step]) -> HttpResponse | tuple[int, Any, str]:
    """The one write; a refusal comes back as (step index, field, message) to show on that step."""
    bank = earlier["bank"]
    provider = _provider_for(request.user, bank)
    if provider is None:
        return 0, "bank", _("Choose a bank that belongs to a training provider.")
    session = earlier["data"]["session"]
    fields = {k: v for k, v in session.items() if k != "title"}
    own = {"bank", "rules", "session"}
    try:
        created = exam_wizard_create(
            provider=provider,
            bank=bank,
            available=earlier["available"],
            paper_name=earlier["data"]["rules"]["paper_name"],
            rules=earlier["rule_list"],
            title=session["title"],
            session_fields=fields,
            steps={s.name: earlier["data"][s.name] for s in steps if s.name not in own},
            created_by=request.user,
        )
    except WizardRefused as exc:
        field = exc.details.get("field")
        return (2 if field == "pass_score" else 1), field, exc.message
    except PoolTooSmall as exc:
        return 1, None, exc.message
    except ValidationError as exc:
        # A registered step's own service refused what its form let through: shown on the last step.
        return len(steps) - 1, None, " ".join(exc.messages)
    messages.success(request, _("Exam created. Papers are prepared before it opens."))
    return redirect("exams:session_stats", pk=created.pk)


def _carried(data: Any, shown: str | None) -> list[tuple[str, str]]:
    """Every posted value of the steps not on this page, to post again as hidden inputs."""
    if data is None:
        return []
    skip = (f"{shown}-", f"seen-{shown}") if shown else ()
    return [
        (key, value)
        for key in data
        if key not in ("csrfmiddlewaretoken", "step", "action") and not (skip and key.startswith(skip))
        for value in data.getlist(key)
    ]


def _int(value: Any, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return low
