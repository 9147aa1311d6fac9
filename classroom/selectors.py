"""Who sees and who runs which class (the scoping of every classroom door).

* ``classes_visible_to``: platform admins all; bureau officials and proctors the
  classes of enterprises (or providers) in their jurisdiction subtree; training
  admins their providers' classes; enterprise admins their enterprises' classes;
  a learner the classes they are invited to.
* ``classes_run_by``: the classes a user may change, show codes for and sign
  people into: the class's trainer, the admins of its owner, platform admins.
* ``people_invitable_by``: whom a class's owner may invite (an enterprise's
  roster; for a provider, the people of enterprises in the subtree it serves).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from classroom.models import Attendance, Invitation, TrainingClass
from core.users import is_signed_in
from organizations import selectors as org
from organizations.models import Person, RoleGrant

Role = RoleGrant.Role


def _owner_q(user: Any) -> Q:
    q = Q(trainer_id=user.pk)
    provider_ids = org.provider_ids_managed_by(user)
    if provider_ids:
        q |= Q(owner_provider_id__in=provider_ids)
    enterprise_ids = org.enterprise_ids_managed_by(user)
    if enterprise_ids:
        q |= Q(owner_enterprise_id__in=enterprise_ids)
    return q


def classes_run_by(user: Any) -> QuerySet[TrainingClass]:
    """Classes the user may edit, show sign-in codes for, sign people into and export."""
    qs = TrainingClass.objects.select_related("owner_enterprise", "owner_provider", "trainer", "course")
    if not is_signed_in(user):
        return qs.none()
    if org.is_platform_admin(user):
        return qs
    return qs.filter(_owner_q(user))


def _oversight_paths(user: Any) -> list[str]:
    """The jurisdiction subtrees whose classes the user oversees (bureau officials, proctors)."""
    return org.jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL, Role.PROCTOR})


def _overseen_q(paths: list[str]) -> Q:
    """Classes whose owner (enterprise or provider) lies in one of the subtrees ``paths``."""
    return org.subtree_q(paths, "owner_enterprise__jurisdiction__path") | org.subtree_q(
        paths, "owner_provider__jurisdiction__path"
    )


def classes_visible_to(user: Any) -> QuerySet[TrainingClass]:
    """Classes the user may see (run, oversee in a jurisdiction, or attend as an invitee)."""

    def rule() -> Q:
        q = _owner_q(user) | _overseen_q(_oversight_paths(user))
        person = org.person_of(user)
        if person is not None:
            q |= Q(pk__in=Invitation.objects.filter(person=person).values("training_class_id"))
        return q

    qs = TrainingClass.objects.select_related("owner_enterprise", "owner_provider", "trainer", "course")
    return org.visible_rows(qs, user, rule)


def classes_invited(user: Any) -> QuerySet[TrainingClass]:
    """The classes the signed-in learner is invited to (not cancelled), soonest first."""
    person = org.person_of(user) if is_signed_in(user) else None
    if person is None:
        return TrainingClass.objects.none()
    return (
        TrainingClass.objects.filter(invitations__person=person)
        .exclude(status=TrainingClass.Status.CANCELLED)
        .select_related("owner_enterprise", "owner_provider", "trainer")
        .order_by("starts_at", "pk")
    )


def people_invitable_by(training_class: TrainingClass) -> QuerySet[Person]:
    """Whom the class may invite: its enterprise's roster, or for a provider class the people of the
    enterprises in the jurisdiction subtree the provider serves."""
    qs = Person.objects.select_related("enterprise", "user")
    if training_class.owner_enterprise_id:
        return qs.filter(enterprise_id=training_class.owner_enterprise_id)
    path = training_class.owner_provider.jurisdiction.path  # type: ignore[union-attr]
    return qs.filter(org.subtree_q([path], "enterprise__jurisdiction__path"))


def attendance_of(training_class: TrainingClass) -> QuerySet[Attendance]:
    """The class's attendance, in sign-in order, with the people it needs."""
    return training_class.attendances.select_related("person", "person__enterprise", "ledger_entry").order_by(
        "signed_in_at", "pk"
    )


# --- evidence (clevid): the class page, attendance sheet and site photos an auditor opens -------------


def class_evidence_visible_to(user: Any) -> QuerySet[TrainingClass]:
    """Classes whose evidence (attendance sheet, site photos) the user may open: those they run, those of an
    owner in their jurisdiction subtree (bureau officials, proctors), and those attended by people of that
    subtree (the auditor who opens a person's 学时 ledger entry). Being invited is not enough: a learner
    sees only their own line, on their own pages."""

    def rule() -> Q:
        paths = _oversight_paths(user)
        q = _owner_q(user) | _overseen_q(paths)
        if paths:
            attended = Attendance.objects.filter(org.subtree_q(paths, "person__enterprise__jurisdiction__path"))
            q |= Q(pk__in=attended.values("training_class_id"))
        return q

    qs = TrainingClass.objects.select_related("owner_enterprise", "owner_provider", "trainer", "course")
    return org.visible_rows(qs, user, rule)


def invitations_of(training_class: TrainingClass) -> QuerySet[Invitation]:
    """The class's invitees with the people the attendance sheet shows."""
    return training_class.invitations.select_related("person", "person__enterprise").order_by("person__name", "pk")
