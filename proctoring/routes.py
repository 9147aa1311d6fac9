"""The URL tables of proctoring: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the pages (proctoring/urls.py)
endpoints = Routes()  # the /api/v1/ endpoints (proctoring/api_urls.py)
