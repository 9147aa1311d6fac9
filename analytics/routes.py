"""The URL tables of analytics: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the pages (analytics/urls.py)
endpoints = Routes()  # the /api/v1/ endpoints (analytics/api_urls.py)
