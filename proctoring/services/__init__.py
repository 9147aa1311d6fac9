"""Writes for proctoring, one module per sub-domain; import each name from its module.

- ``consent``: consent to face processing, its withdrawal (deletes biometrics).
- ``identity``: face enrolment, the photo budget, the identity check before an exam.
- ``events``: browser events in the exam, the attempt monitor, the tab policy.
- ``snapshots``: in-exam snapshots, their face check (``decide_face_policy``), missing snapshots.
- ``actions``: a session's policy, a proctor's warning or stop, review decisions.
- ``retention``: deleting face images past retention.
- ``errors``: ``ProctoringError`` and its refusals, the texts of vision's image reasons.

Services know nothing of HTTP or websockets. Refusals raise ``ProctoringError``
subclasses whose message is shown to the user and whose ``code`` the sockets
send. Face images go to private storage (proctoring.storage); face data and
ID numbers are never logged.
"""
