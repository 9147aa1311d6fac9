"""ASGI entry point: websockets always, and every HTTP request on the embedded default.

``make run`` serves everything from one daphne process with this app. Scaled
out, gunicorn serves pages and the API (``config/wsgi.py``, ``config/gunicorn.py``)
and daphne only ``/ws/``: the reverse proxy splits them (docs/PERFORMANCE.md,
"Serving topology"). Either way an HTTP request here goes through Django's own
request handling, with at most ``ASGI_HTTP_CONCURRENCY`` at once per process.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from core.concurrency import HttpConcurrencyLimit  # noqa: E402
from core.daphne import hand_bodies_to_django  # noqa: E402
from core.websocket_auth import WebsocketAuth  # noqa: E402

# Twisted (under daphne) must not answer a multipart body it cannot parse itself (core/daphne.py).
hand_bodies_to_django()

application = ProtocolTypeRouter(
    {
        # Each HTTP request takes a bounded slot in Django (core/concurrency.py).
        "http": HttpConcurrencyLimit(django_asgi_app, settings.ASGI_HTTP_CONCURRENCY),
        # Session cookie (Origin must be ours) or API token in Sec-WebSocket-Protocol (core/websocket_auth.py).
        "websocket": WebsocketAuth(URLRouter(websocket_urlpatterns)),
    }
)
