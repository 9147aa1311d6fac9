"""The URL tables of training: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the pages (training/urls.py)
public = Routes()  # public self-registration (training/public_urls.py)
endpoints = Routes()  # the /api/v1/ endpoints (training/api_urls.py)
