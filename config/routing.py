from django.urls import path

from core.sockets import PingConsumer
from proctoring.consumers import ExamineeConsumer, IdentityWaitConsumer, ProctorConsumer

# Later apps (exams, proctoring) append their consumers here.
websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/proctoring/attempts/<id:attempt_id>/", ExamineeConsumer.as_asgi()),
    path("ws/proctoring/sessions/<id:session_id>/", ProctorConsumer.as_asgi()),
    path("ws/proctoring/sessions/<id:session_id>/identity/", IdentityWaitConsumer.as_asgi()),
]
