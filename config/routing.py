from django.urls import path

from config.consumers import PingConsumer

# Later apps (exams, proctoring) append their consumers here.
websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]
