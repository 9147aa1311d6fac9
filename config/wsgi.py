"""WSGI entry point: pages and the HTTP API of the scaled-out topology.

Served by gunicorn's ``gthread`` worker (``config/gunicorn.py``): a few worker
processes, each with a fixed pool of threads, each thread keeping its own
database connection (``CONN_MAX_AGE``). Websockets are not WSGI: they stay in
the ASGI server (``config.asgi`` under daphne), and the reverse proxy sends
``/ws/`` there (docs/PERFORMANCE.md, "Serving topology").
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
