"""The URL tables of question_bank: each view declares its route with ``@<table>.route(...)`` (core.routes)."""

from core.routes import Routes

pages = Routes()  # the pages (question_bank/urls.py)
