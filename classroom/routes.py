"""The URL tables of classroom: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the class pages (classroom/urls.py, namespace ``classroom``)
evidence_pages = Routes()  # a class's evidence: sheet and site photos (classroom/evidence_urls.py)
endpoints = Routes()  # the /api/v1/ endpoints (classroom/api_urls.py)
