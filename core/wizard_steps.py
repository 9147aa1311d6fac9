"""Extra steps of the exam wizard (考试向导): how a higher app (proctoring) adds a step to a lower app's
(exams') wizard without being imported.

Exams builds a bank → paper → session → summary wizard; proctoring must let the
trainer switch proctoring on in it, but exams may not import proctoring. So a
higher app registers a ``WizardStep`` from its ``AppConfig.ready()``::

    wizard_steps.register(WizardStep(name="proctoring", title=_("Proctoring"), form_class=..., ...))

The wizard shows every registered step after its own session step, in
registration order, as a form with ``prefix=name``. The step answers three calls:

``initial(certificate=bool) -> dict``
    The step's defaults, given what the trainer chose so far (``certificate``:
    the exam issues a certificate on pass).
``summary(data) -> list[tuple[str, str]]``
    Label and value rows for the wizard's last page, from the form's
    ``cleaned_data``.
``apply(session=..., data=..., by=...)``
    The step's own write for the new exam session, through its own services.
    Called by ``exams.services.wizard.exam_wizard_create`` inside the one
    transaction that creates the paper and the session: an exception undoes it all.

With nothing registered the wizard has only its own steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from core.registries import Registry


@dataclass(frozen=True)
class WizardStep:
    name: str  # the form prefix, and the key of the step's data in the create call
    title: Any  # shown as the step's heading (a lazy translation)
    form_class: type[forms.Form]
    initial: Callable[..., dict[str, Any]]
    summary: Callable[[dict[str, Any]], list[tuple[str, str]]]
    apply: Callable[..., object]


_steps: Registry[WizardStep] = Registry()


def register(step: WizardStep) -> None:
    """Add (or replace, by name) a step; call from ``AppConfig.ready()``."""
    unregister(step.name)
    _steps.register(step)


def unregister(name: str) -> None:
    for step in _steps:
        if step.name == name:
            _steps.unregister(step)


def steps() -> list[WizardStep]:
    """The registered steps, in registration order."""
    return list(_steps)


def apply_all(*, session: Any, data: dict[str, dict[str, Any]], by: Any) -> None:
    """Every registered step's write for ``session``, from its data in ``data`` (by step name)."""
    for step in _steps:
        step.apply(session=session, data=data.get(step.name, {}), by=by)
