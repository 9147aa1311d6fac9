"""The URL tables of exams: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the pages (exams/urls.py)
endpoints = Routes()  # the /api/v1/ endpoints (exams/api_urls.py)
