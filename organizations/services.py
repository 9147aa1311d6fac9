"""Writes for organizations. Keyword-only, typed; callers validate first."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Iterator

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from core import registries
from organizations.errors import HistoryRewrite, PersonRefused
from organizations.models import (
    BEGINNING,
    Employment,
    Enterprise,
    EnterpriseStatus,
    Industry,
    Jurisdiction,
    Person,
    RoleGrant,
)
from organizations.validators import normalize_id_number

# Letters and digits only, without look-alikes (0/O, 1/l/I): the password is read off a page or a
# spreadsheet and typed on a phone, and it never starts with a character a spreadsheet would take
# for a formula (token_urlsafe's "-" was turned into "'-" by the safe writer, a wrong password).
INITIAL_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet, not a password
INITIAL_PASSWORD_LENGTH = 12  # about 70 bits

# The follow-up event person_create runs (core.registries).
PERSON_CREATED = "organizations.person_create"


def initial_password() -> str:
    # Handed to the enterprise admin once; the account must change it at first login.
    return "".join(secrets.choice(INITIAL_PASSWORD_ALPHABET) for _ in range(INITIAL_PASSWORD_LENGTH))


def new_username() -> str:
    # Imported employees log in with their phone number or this handed-out
    # username. It is random so that it reveals nothing about the person
    # (an earlier scheme used ID-number digits).
    while True:
        candidate = f"u{secrets.token_hex(4)}"
        if not User.objects.filter(username=candidate).exists():
            return candidate


@transaction.atomic
def person_create(
    *,
    enterprise: Enterprise,
    name: str,
    id_number: str,
    hire_date: dt.date,
    post: str = Person.Post.EMPLOYEE,
    department: str = "",
    phone: str | None = None,
    email: str = "",
    leave_date: dt.date | None = None,
    password: str | None = None,
    username: str | None = None,
    source: str = "",
) -> tuple[Person, str | None]:
    """Create a person with a login and their first employment (from
    ``hire_date``, ended on ``leave_date``). Returns the person and the
    one-time initial password (None when a password was given)."""
    one_time = None
    if password is None:
        password = one_time = initial_password()
    user = User(
        username=username or new_username(),
        display_name=name,
        phone=phone or None,
        email=email,
        must_change_password=one_time is not None,
    )
    # A one-time password is a random 72-bit secret that must be replaced at
    # first login, so it takes the cheap hasher: a roster of 1,000 new hires
    # would otherwise spend ~10 minutes in PBKDF2. Django re-hashes with the
    # default hasher when the person signs in.
    user.password = make_password(password, hasher="onetime_pbkdf2" if one_time else "default")
    user.save()
    person = Person.objects.create(
        user=user,
        enterprise=enterprise,
        name=name,
        id_number=normalize_id_number(id_number),
        hire_date=hire_date,
        leave_date=leave_date,
        post=post,
        department=department,
    )
    _employment_from_columns(person, source=source)
    # Whatever the apps above must do when someone joins a roster: training assigns a recent
    # hire the onboarding plan for their industry and post (core.registries).
    registries.run_follow_ups(PERSON_CREATED, person=person)
    return person, one_time


def role_grant(*, user: User, role: str, **scope: object) -> RoleGrant:
    grant, _ = RoleGrant.objects.get_or_create(user=user, role=role, **scope)
    return grant


# --- history: enterprise status and employments ---------------------------------
#
# Indicators read EnterpriseStatus and Employment rows, never the current columns
# of Enterprise and Person, so a report for a past period gives the same figures
# next year. Every door that writes an enterprise's industry, scale or
# jurisdiction, or a person's enterprise, post, hire or leave date, goes through
# the functions below; they keep the current columns equal to the history's
# present.


# The source of a history row made from an enterprise's or person's current columns
# when a write meets one that has none yet (as the data migration's "migration").
FROM_CURRENT = "current columns"


def _day(value: dt.date) -> str:
    return date_format(value, "Y-m-d") if value != BEGINNING else _("the beginning")


def _status_values(status: EnterpriseStatus) -> tuple[int, bool, int]:
    return (status.industry_id, status.above_scale, status.jurisdiction_id)


def enterprise_status_first(
    *, enterprise: Enterprise, valid_from: dt.date | None = None, user: User | None = None, source: str = ""
) -> EnterpriseStatus:
    """The enterprise's first status, from its current columns, holding from
    ``valid_from`` (None: since the beginning), unless it has one already
    (returned unchanged)."""
    first = EnterpriseStatus.objects.filter(enterprise=enterprise).order_by("valid_from").first()
    if first is not None:
        return first
    current = Enterprise.objects.get(pk=enterprise.pk)
    return EnterpriseStatus.objects.create(
        enterprise=enterprise,
        valid_from=valid_from or BEGINNING,
        industry_id=current.industry_id,
        above_scale=current.above_scale,
        jurisdiction_id=current.jurisdiction_id,
        source=source[:255],
        recorded_by=user,
    )


def _employment_from_columns(person: Person, *, source: str) -> Employment:
    """The employment that the person's current columns (enterprise, post, hire and leave date) describe."""
    return Employment.objects.create(
        person=person,
        enterprise_id=person.enterprise_id,
        post=person.post,
        start_date=person.hire_date,
        end_date=person.leave_date,
        source=source[:255],
    )


def _person_history_ensure(person: Person) -> None:
    """A person from before the history (or a bulk load) gets their employment
    from their current columns first, as the data migration did."""
    if not Employment.objects.filter(person=person).exists():
        _employment_from_columns(Person.objects.get(pk=person.pk), source=FROM_CURRENT)


def enterprise_current_sync(*, enterprise: Enterprise, today: dt.date | None = None) -> None:
    """Set the enterprise's current columns to the status in force today
    (a status recorded for a future day takes over on the next write)."""
    today = today or timezone.localdate()
    status = enterprise.statuses.filter(valid_from__lte=today).order_by("-valid_from").first()
    if status is None:
        return
    changed = {
        name: getattr(status, name)
        for name in ("industry_id", "above_scale", "jurisdiction_id")
        if getattr(enterprise, name) != getattr(status, name)
    }
    if changed:
        for name, value in changed.items():
            setattr(enterprise, name, value)
        Enterprise.objects.filter(pk=enterprise.pk).update(**changed)


@transaction.atomic
def enterprise_status_record(
    *,
    enterprise: Enterprise,
    valid_from: dt.date | None,
    industry: Industry,
    above_scale: bool,
    jurisdiction: Jurisdiction,
    user: User | None = None,
    source: str = "",
    today: dt.date | None = None,
) -> EnterpriseStatus | None:
    """Record what the enterprise is from ``valid_from`` on (None: today).

    - The same values as the status in force on that day: nothing changes,
      returns None (re-importing a file is a no-op).
    - A day after the latest recorded status: a new row.
    - A day before the latest recorded status: refused with ``HistoryRewrite``
      naming that status's day; the past is never rewritten.
    - The latest status's own day with other values: that row is replaced only
      when the day is today or later (a same-day correction no past report has
      read); otherwise refused like a day before it.

    An enterprise without statuses (from before the history) first gets one
    from its current columns, since the beginning. The enterprise's current
    columns follow the status in force today. Takes the enterprise's row lock:
    writers of one enterprise queue.
    """
    today = today or timezone.localdate()
    valid_from = valid_from or today
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    # An enterprise from before the history (or a bulk load) gets its first status
    # from its current columns, as the data migration gave every enterprise then.
    enterprise_status_first(enterprise=enterprise, source=FROM_CURRENT)
    values = (industry.pk, bool(above_scale), jurisdiction.pk)
    statuses = EnterpriseStatus.objects.filter(enterprise=enterprise)
    in_force = statuses.filter(valid_from__lte=valid_from).order_by("-valid_from").first()
    if in_force is not None and _status_values(in_force) == values:
        return None
    latest = statuses.order_by("-valid_from").first()
    fields = {
        "industry_id": industry.pk,
        "above_scale": bool(above_scale),
        "jurisdiction_id": jurisdiction.pk,
        "source": source[:255],
        "recorded_by": user,
    }
    if latest is not None and valid_from <= latest.valid_from:
        if valid_from == latest.valid_from and valid_from >= today:
            for name, value in fields.items():
                setattr(latest, name, value)
            latest.save()
            enterprise_current_sync(enterprise=enterprise, today=today)
            return latest
        raise HistoryRewrite(
            _(
                "The status of %(enterprise)s is already recorded from %(date)s on; "
                "a change can only be recorded from a later day."
            )
            % {"enterprise": enterprise.name, "date": _day(latest.valid_from)},
            date=latest.valid_from.isoformat(),
        )
    status = EnterpriseStatus.objects.create(enterprise=enterprise, valid_from=valid_from, **fields)
    enterprise_current_sync(enterprise=enterprise, today=today)
    return status


@transaction.atomic
def enterprise_create(
    *,
    name: str,
    credit_code: str,
    industry: Industry,
    above_scale: bool,
    jurisdiction: Jurisdiction,
    valid_from: dt.date | None = None,
    user: User | None = None,
    source: str = "",
) -> Enterprise:
    """Create an enterprise with its first status, holding from ``valid_from``
    (None: since the beginning, ``BEGINNING``)."""
    enterprise = Enterprise.objects.create(
        name=name,
        credit_code=credit_code,
        industry=industry,
        above_scale=above_scale,
        jurisdiction=jurisdiction,
    )
    enterprise_status_first(enterprise=enterprise, valid_from=valid_from, user=user, source=source)
    return enterprise


def _person_current_sync(person: Person) -> None:
    """Person.enterprise/post/leave_date are the latest employment's;
    hire_date is the start of the unbroken run at that enterprise (a change of
    post inside one enterprise keeps the hire date)."""
    employments = list(Employment.objects.filter(person=person).order_by("-start_date", "-pk"))
    if not employments:
        return
    latest = employments[0]
    hire = latest.start_date
    for earlier in employments[1:]:
        if earlier.enterprise_id != latest.enterprise_id or earlier.end_date is None:
            break
        if earlier.end_date + dt.timedelta(days=1) < hire:
            break
        hire = earlier.start_date
    changed = {
        name: value
        for name, value in (
            ("enterprise_id", latest.enterprise_id),
            ("post", latest.post),
            ("hire_date", hire),
            ("leave_date", latest.end_date),
        )
        if getattr(person, name) != value
    }
    if changed:
        for name, value in changed.items():
            setattr(person, name, value)
        person.save(update_fields=[*changed, "updated_at"])


def _refuse_before(person: Person, current: Employment) -> HistoryRewrite:
    return HistoryRewrite(
        _("%(person)s's current employment started on %(date)s; a new one cannot start before it.")
        % {"person": person.name, "date": _day(current.start_date)},
        date=current.start_date.isoformat(),
    )


@transaction.atomic
def employment_start(
    *,
    person: Person,
    enterprise: Enterprise,
    post: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    source: str = "",
) -> Employment:
    """Start an employment (a hire, a transfer or a change of post).

    - The same employment (enterprise, post, start date) again, or a later
      start at the enterprise and in the post the person is still working in:
      no-op (not a new hire), except that a given ``end_date`` is recorded.
    - The person's current (latest) employment, when still open or ending on or
      after ``start_date``, ends the day before ``start_date``; one that already
      ended earlier is left as it is.
    - Starting on the current employment's own start date replaces its
      enterprise and post (a correction of the same hire).
    - Starting before the current employment's start is refused
      (``HistoryRewrite`` naming that date).

    A person without employments (from before the history) first gets one
    from their current columns. The person's current columns follow. Takes
    the person's row lock.
    """
    Person.objects.select_for_update().filter(pk=person.pk).first()
    _person_history_ensure(person)
    employments = Employment.objects.filter(person=person)
    same = employments.filter(enterprise=enterprise, post=post, start_date=start_date).order_by("-pk").first()
    if same is not None:
        if end_date is not None and same.end_date != end_date:
            same.end_date = end_date
            same.save(update_fields=["end_date"])
        _person_current_sync(person)
        return same
    current = employments.order_by("-start_date", "-pk").first()
    if current is not None and start_date < current.start_date:
        raise _refuse_before(person, current)
    if current is not None and start_date == current.start_date:
        current.enterprise = enterprise
        current.post = post
        current.end_date = end_date
        current.source = source[:255] or current.source
        current.save(update_fields=["enterprise", "post", "end_date", "source"])
        _person_current_sync(person)
        return current
    if current is not None and (current.end_date is None or current.end_date >= start_date):
        if current.enterprise_id == enterprise.pk and current.post == post:
            # Already working there in that post: not a new hire (a later date on a re-sent row changes nothing).
            if end_date is not None and current.end_date != end_date:
                current.end_date = end_date
                current.save(update_fields=["end_date"])
            _person_current_sync(person)
            return current
        current.end_date = start_date - dt.timedelta(days=1)
        current.save(update_fields=["end_date"])
    employment = Employment.objects.create(
        person=person,
        enterprise=enterprise,
        post=post,
        start_date=start_date,
        end_date=end_date,
        source=source[:255],
    )
    _person_current_sync(person)
    return employment


@transaction.atomic
def employment_end(*, person: Person, end_date: dt.date | None) -> Employment | None:
    """Set the end of the person's current (latest) employment and their leave
    date; None reopens it (a leave date cleared on the roster). An end before
    the employment's start is refused. Returns the employment, or None when the
    person has none."""
    Person.objects.select_for_update().filter(pk=person.pk).first()
    _person_history_ensure(person)
    current = Employment.objects.filter(person=person).order_by("-start_date", "-pk").first()
    if current is None:
        return None
    if end_date is not None and end_date < current.start_date:
        raise HistoryRewrite(
            _("%(person)s's current employment started on %(date)s; it cannot end before that day.")
            % {"person": person.name, "date": _day(current.start_date)},
            date=current.start_date.isoformat(),
        )
    if current.end_date != end_date:
        current.end_date = end_date
        current.save(update_fields=["end_date"])
    _person_current_sync(person)
    return current


@transaction.atomic
def employment_hire_date_set(*, person: Person, hire_date: dt.date) -> Employment | None:
    """Correct the hire date at the person's current enterprise: the first
    employment of the unbroken run there starts on ``hire_date`` instead.

    Refused (``HistoryRewrite``) when the new date would fall after that
    employment's end or the start of the next one, or on or before the end of
    the employment before it. Returns the corrected employment (None when the
    person has none)."""
    Person.objects.select_for_update().filter(pk=person.pk).first()
    _person_history_ensure(person)
    employments = list(Employment.objects.filter(person=person).order_by("start_date", "pk"))
    if not employments:
        return None
    # The run's first employment is the one whose start the hire date is.
    first_index = next(
        (
            i
            for i, e in enumerate(employments)
            if e.start_date == person.hire_date and e.enterprise_id == person.enterprise_id
        ),
        len(employments) - 1,
    )
    first = employments[first_index]
    if first.start_date == hire_date:
        return first
    following = employments[first_index + 1] if first_index + 1 < len(employments) else None
    previous = employments[first_index - 1] if first_index > 0 else None
    bounds = [first.end_date] if first.end_date else []
    if following is not None:
        bounds.append(following.start_date - dt.timedelta(days=1))
    limit = min(bounds, default=None)
    if limit is not None and hire_date > limit:
        raise HistoryRewrite(
            _("%(person)s's employment changed on %(date)s; the hire date cannot be after that day.")
            % {"person": person.name, "date": _day(limit)},
            date=limit.isoformat(),
        )
    if previous is not None and previous.end_date is not None and hire_date <= previous.end_date:
        raise HistoryRewrite(
            _("%(person)s's previous employment ended on %(date)s; the hire date must be after that day.")
            % {"person": person.name, "date": _day(previous.end_date)},
            date=previous.end_date.isoformat(),
        )
    first.start_date = hire_date
    first.save(update_fields=["start_date"])
    _person_current_sync(person)
    return first


@transaction.atomic
def person_employment_update(
    *,
    person: Person,
    post: str,
    hire_date: dt.date,
    leave_date: dt.date | None,
    today: dt.date | None = None,
    source: str = "",
) -> None:
    """Bring a person's employments in line with a roster row of their current
    enterprise (the row is the person as they are now):

    - another hire date corrects the start of the run at this enterprise;
    - another leave date ends (or, when blank, reopens) the current employment;
    - another post is a new employment from today, the current one ending
      yesterday; when the current employment starts today or later, or ended
      before today, its post is corrected instead (nobody held the old post
      in between).

    Raises ``HistoryRewrite`` when the row contradicts the recorded history;
    its ``details['field']`` names the field (hire_date, leave_date or post).
    """
    today = today or timezone.localdate()
    person.refresh_from_db()
    _person_history_ensure(person)
    if hire_date != person.hire_date:
        with _naming_field("hire_date"):
            employment_hire_date_set(person=person, hire_date=hire_date)
        person.refresh_from_db()
    if leave_date != person.leave_date:
        with _naming_field("leave_date"):
            employment_end(person=person, end_date=leave_date)
        person.refresh_from_db()
    if post != person.post:
        current = Employment.objects.filter(person=person).order_by("-start_date", "-pk").first()
        assert current is not None  # created above when missing
        ended = current.end_date is not None and current.end_date < today
        start = current.start_date if ended or current.start_date >= today else today
        with _naming_field("post"):
            employment_start(
                person=person,
                enterprise=person.enterprise,
                post=post,
                start_date=start,
                end_date=current.end_date,
                source=source,
            )


@contextlib.contextmanager
def _naming_field(name: str) -> Iterator[None]:
    """A refusal names the roster field that caused it (``details['field']``)."""
    try:
        yield
    except HistoryRewrite as refused:
        refused.details.setdefault("field", name)
        raise


# --- the staff list: edit and leave ------------------------------------------------


@transaction.atomic
def person_update(
    *,
    person: Person,
    name: str,
    phone: str | None,
    post: str,
    hire_date: dt.date,
    department: str,
    id_number: str,
    today: dt.date | None = None,
    source: str = "",
) -> Person:
    """Edit a person from the staff list. Post and hire date are history and go through
    ``person_employment_update`` (a new post counts from today; a hire date corrects the
    run at this enterprise; refusals are ``HistoryRewrite`` naming the field). Name, phone,
    department and ID number are corrections. A phone or ID number that belongs to someone
    else is refused (``PersonRefused``)."""
    id_number = normalize_id_number(id_number)
    phone = phone or None
    if Person.objects.filter(id_number=id_number).exclude(pk=person.pk).exists():
        raise PersonRefused(_("This ID card number belongs to another person."), field="id_number")
    if phone and User.objects.filter(phone=phone).exclude(pk=person.user_id).exists():
        raise PersonRefused(_("This mobile phone number is already used by another account."), field="phone")
    person_employment_update(
        person=person, post=post, hire_date=hire_date, leave_date=person.leave_date, today=today, source=source
    )
    person.refresh_from_db()
    corrected = {"name": name, "department": department, "id_number": id_number}
    changed = [field for field, value in corrected.items() if getattr(person, field) != value]
    for field in changed:
        setattr(person, field, corrected[field])
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
    user = person.user
    if (user.display_name, user.phone) != (name, phone):
        user.display_name, user.phone = name, phone
        user.save(update_fields=["display_name", "phone"])
    return person


@transaction.atomic
def person_leave(*, person: Person, leave_date: dt.date, today: dt.date | None = None) -> bool:
    """The person leaves their current enterprise: their current employment ends on
    ``leave_date`` (``employment_end``; not after today, not before its start), and their
    login is disabled unless another employment of theirs is still open. The records stay:
    the 一人一档 keeps the file of someone who left. Returns whether the login was disabled."""
    today = today or timezone.localdate()
    if leave_date > today:
        raise PersonRefused(_("The leave date cannot be in the future."), field="leave_date")
    with _naming_field("leave_date"):
        ended = employment_end(person=person, end_date=leave_date)
    still_employed = Employment.objects.filter(person=person).exclude(pk=getattr(ended, "pk", None))
    if still_employed.filter(end_date__isnull=True).exists() or still_employed.filter(end_date__gte=today).exists():
        return False
    user = person.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return True
