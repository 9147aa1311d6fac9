"""Refusals of the organizations services; the message is for the user.

Each keeps ``ValueError`` as a second base: importers and forms catch it.
"""

from __future__ import annotations

from core.errors import ServiceError


class OrganizationsError(ServiceError):
    """A refusal of an organizations service; the message is for the user."""


class HistoryRewrite(OrganizationsError, ValueError):
    """The write would change what a past period already recorded (an
    enterprise status before the latest one, an employment starting before the
    current one). ``details['date']`` is the date that stands in the way."""

    code = "history_rewrite"


class PersonRefused(OrganizationsError, ValueError):
    """An edit of a person the staff list refuses (a taken phone or ID number, a leave date in
    the future). ``details['field']`` names the form field."""

    code = "person_refused"
