"""Writes for exams, one module per sub-domain: papers, sessions, attempts, grading, certificates, spot_tests; refusals in errors."""
