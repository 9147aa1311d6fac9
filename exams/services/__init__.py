"""Writes for exams, one module per sub-domain; import each name from its module.

- ``papers``: paper templates (rule-drawn or fixed), their checks, the drawer, the preview.
- ``sessions``: exam sessions and the papers prepared ahead of the start.
- ``attempts``: start, resume, autosave, submit (the hot path); invalidate and reinstate after a review.
- ``grading``: points per question, score and breakdown of a submitted attempt.
- ``certificates``: issue, revoke, expiry reminders (rendering: ``exams.certificates``).
- ``spot_tests``: spot tests (逢查必考) opened by an inspector.
- ``errors``: the ``ExamError`` refusals.

Services know nothing of HTTP. Refusals raise ``ExamError`` subclasses whose
message is shown to the examinee and whose ``code`` the API returns.
"""
