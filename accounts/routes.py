"""The URL tables of accounts: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the pages (accounts/urls.py)
