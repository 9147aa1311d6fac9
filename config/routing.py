from django.urls import path

from core.sockets import PingConsumer
from proctoring.consumers import ExamineeConsumer, ProctorConsumer

# Later apps (exams, proctoring) append their consumers here.
websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/proctoring/attempts/<id:attempt_id>/", ExamineeConsumer.as_asgi()),
    path("ws/proctoring/sessions/<id:session_id>/", ProctorConsumer.as_asgi()),
]
