"""The URL tables of organizations: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the pages (organizations/urls.py)
