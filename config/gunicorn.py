"""gunicorn settings for the scaled-out topology's HTTP servers.

    .venv/bin/gunicorn -c python:config.gunicorn

Every page and API request, the examinee's start, autosave and submit
included, goes through Django's ordinary request handling, in a WSGI worker
with a fixed pool of threads (``gthread``). Each thread keeps its database
connection between requests (``CONN_MAX_AGE``), so a burst of examinees queues
for a thread instead of getting a thread and a connection each, which is what
Django's ASGI handler gives every sync request. Websockets stay in daphne
(``config.asgi``); the reverse proxy sends ``/ws/`` there and everything else
here (docs/PERFORMANCE.md, "Serving topology").

Environment (read when gunicorn starts; command-line flags win):
- ``GUNICORN_BIND`` (default ``127.0.0.1:8001``);
- ``GUNICORN_WORKERS`` processes (default 4);
- ``GUNICORN_THREADS`` threads per process (default 4). Each holds one
  PostgreSQL connection: workers × threads must stay under max_connections,
  with room for daphne, Celery and the management commands;
- ``GUNICORN_APP`` the WSGI application (default ``config.wsgi:application``;
  the exam benchmark serves its own, the real app plus its naive baseline's routes).
"""

from __future__ import annotations

from config.env import env_int, env_str

wsgi_app = env_str("GUNICORN_APP", "config.wsgi:application")
bind = [env_str("GUNICORN_BIND", "127.0.0.1:8001")]
worker_class = "gthread"
workers = env_int("GUNICORN_WORKERS", 4, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)
# A class released at once connects at once: the kernel holds them until a worker accepts.
backlog = 4096
# Idle keep-alive connections wait in the worker's poller, not in a thread. Longer than
# a phone's pause between two answers, so that its next autosave reuses the connection,
# and longer than the proxy's upstream keep-alive, so that the proxy closes first.
keepalive = 75
# Open connections (busy or idle) per worker before it stops accepting.
worker_connections = 2000
timeout = 60
graceful_timeout = 30
# No control socket (gunicorn ≥ 25.1 opens one at one path per user by default: two servers
# of one user, a deployment's and a test's, would fight over it).
control_socket_disable = True
