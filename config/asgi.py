import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.concurrency import HttpConcurrencyLimit  # noqa: E402
from config.daphne import hand_bodies_to_django  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core.websocket_auth import WebsocketAuth  # noqa: E402
from exams.fastlane import ExamFastLane, lane_threads  # noqa: E402

# Twisted (under daphne) must not answer a multipart body it cannot parse itself (config/daphne.py).
hand_bodies_to_django()

# The examinee's hot calls from token clients skip Django's per-request machinery
# (exams/fastlane.py); every other HTTP request takes a bounded slot in Django.
http = ExamFastLane(
    HttpConcurrencyLimit(django_asgi_app, settings.ASGI_HTTP_CONCURRENCY),
    lane_threads(settings.EXAM_FAST_LANE_THREADS, settings.DATABASES["default"]),
    django_app=django_asgi_app,
)

application = ProtocolTypeRouter(
    {
        "http": http,
        # Session cookie (Origin must be ours) or API token in Sec-WebSocket-Protocol (config/websocket_auth.py).
        "websocket": WebsocketAuth(URLRouter(websocket_urlpatterns)),
    }
)
