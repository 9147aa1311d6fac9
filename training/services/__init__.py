"""Writes for training, one module per sub-domain; import each name from its module.

- ``content``: courses, chapters, lessons and their media, lesson quiz banks.
- ``assignments``: requirement profiles, plans, assignments, onboarding, reminders.
- ``crediting``: the study lease, heartbeats and their credit rules (``decide_credit``), presence, lesson quizzes.
- ``annual``: annual retraining plans.
- ``retention``: purging credit-ledger rows past retention.
- ``public``: public learners' registration and enrolment.
- ``errors``: ``TrainingError`` and its refusals.

Keyword-only, typed; callers validate first. The heartbeat
(``crediting.heartbeat_record``) is the hot path: one cache read for the
lease, one SELECT, one conditional UPDATE and, when time is credited, one
INSERT into the append-only ledger.
"""
