#!/usr/bin/env bash
# `make run-scaled`: the district topology on one machine (README, "Running a district").
#
#   two gunicorn processes (pages and API)  on WEB_PORTS   (default 8101 8102)
#   two daphne processes (websockets, /ws/) on WS_PORTS    (default 8100 8103)
#   one Celery worker and Celery beat       (REDIS_URL is their broker)
#   nginx in front on PROXY_PORT (8080), only when nginx is installed: deploy/nginx.conf
#
# Against the PostgreSQL and Redis named by DATABASE_URL and REDIS_URL (both required).
# Migrates, compiles translations, collects static files and seeds the demo (SEED=0 skips
# it), then starts everything and waits. Ctrl-C (or any process dying) stops them all.
# MIGRATE=0 skips the migrations (a database another process keeps migrated, e.g. a test run's).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "run-scaled: $*" >&2; exit 2; }
case "${DATABASE_URL:-}" in
  postgres://*|postgresql://*) ;;
  "") die "DATABASE_URL is not set: the scaled topology needs PostgreSQL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/safetrain" ;;
  *) die "DATABASE_URL must name a PostgreSQL database (postgres://…): several processes share it" ;;
esac
case "${REDIS_URL:-}" in
  redis://*|rediss://*|unix://*) ;;
  "") die "REDIS_URL is not set: the processes share Redis (channel layer, cache, Celery broker), e.g. REDIS_URL=redis://127.0.0.1:6379/0" ;;
  *) die "REDIS_URL must be a redis:// URL" ;;
esac

VENV=${VENV:-.venv}
WEB_PORTS=${WEB_PORTS:-"8101 8102"}
WS_PORTS=${WS_PORTS:-"8100 8103"}
PROXY_PORT=${PROXY_PORT:-8080}
HOST=${HOST:-127.0.0.1}
RUN_DIR=${RUN_DIR:-var/run-scaled}
mkdir -p "$RUN_DIR"
export DJANGO_SETTINGS_MODULE=config.settings
# Celery beat runs the periodic jobs here; no web process starts its own threads for them.
export PERIODIC_JOBS=off
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-2} GUNICORN_THREADS=${GUNICORN_THREADS:-4}

"$VENV/bin/python" manage.py compilemessages -v0 --ignore=.venv
if [ "${MIGRATE:-1}" = 1 ]; then "$VENV/bin/python" manage.py migrate --no-input -v0; fi
"$VENV/bin/python" manage.py collectstatic --no-input -v0
if [ "${SEED:-1}" = 1 ]; then "$VENV/bin/python" manage.py seed_demo; fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "run-scaled: stopping ${#pids[@]} processes"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all INT TERM EXIT

start() {  # start NAME COMMAND…: one process, its output in $RUN_DIR/NAME.log
  local name=$1; shift
  "$@" >"$RUN_DIR/$name.log" 2>&1 &
  pids+=("$!")
  echo "run-scaled: $name (pid $!) → $RUN_DIR/$name.log"
}

index=0
for port in $WEB_PORTS; do
  index=$((index + 1))
  start "web$index" env GUNICORN_BIND="$HOST:$port" "$VENV/bin/gunicorn" -c python:config.gunicorn
done
index=0
for port in $WS_PORTS; do
  index=$((index + 1))
  start "ws$index" env DATABASE_POOL_MAX="${WS_POOL_MAX:-8}" "$VENV/bin/daphne" -b "$HOST" -p "$port" config.asgi:application
done
start worker "$VENV/bin/celery" -A config worker -l info --concurrency "${CELERY_CONCURRENCY:-2}" -n "worker@%h"
start beat "$VENV/bin/celery" -A config beat -l info --schedule "$RUN_DIR/celerybeat-schedule"

proxy_note="no proxy: nginx is not installed. Put deploy/nginx.conf in front of the ports above."
if command -v nginx >/dev/null; then
  # deploy/nginx.conf's routing, on plain HTTP and this run's ports and paths.
  mkdir -p "$RUN_DIR/nginx/logs"
  {
    echo "pid $PWD/$RUN_DIR/nginx/nginx.pid; error_log $PWD/$RUN_DIR/nginx/logs/error.log;"
    echo "events {}"
    echo "http {"
    echo "  access_log $PWD/$RUN_DIR/nginx/logs/access.log; client_max_body_size 512m;"
    echo "  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }"
    echo "  upstream safetrain_http {"
    for port in $WEB_PORTS; do echo "    server $HOST:$port;"; done
    echo "    keepalive 32;"
    echo "  }"
    echo "  upstream safetrain_ws {"
    for port in $WS_PORTS; do echo "    server $HOST:$port;"; done
    echo "  }"
    echo "  server {"
    echo "    listen $HOST:$PROXY_PORT;"
    echo "    location /static/ { alias $PWD/var/staticfiles/; }"
    echo "    location /ws/ { proxy_pass http://safetrain_ws; proxy_http_version 1.1;"
    echo "      proxy_set_header Upgrade \$http_upgrade; proxy_set_header Connection \$connection_upgrade;"
    echo "      proxy_set_header Host \$host; proxy_set_header X-Request-ID \$request_id; proxy_read_timeout 1h; }"
    echo "    location / { proxy_pass http://safetrain_http; proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\"; proxy_set_header Host \$host;"
    echo "      proxy_set_header X-Request-ID \$request_id; }"
    echo "  }"
    echo "}"
  } >"$RUN_DIR/nginx/nginx.conf"
  start proxy nginx -p "$PWD/$RUN_DIR/nginx" -c "$PWD/$RUN_DIR/nginx/nginx.conf" -g "daemon off;"
  proxy_note="nginx on http://$HOST:$PROXY_PORT/ (pages, API and /ws/ under one origin)"
fi

echo
for port in $WEB_PORTS; do echo "  pages and API:  http://$HOST:$port/   (probe: /readyz, report: /healthz)"; done
for port in $WS_PORTS; do
  echo "  websockets:     ws://$HOST:$port/ws/…   (daphne also serves pages: a browser without a proxy uses this port)"
done
echo "  $proxy_note"
echo "run-scaled: Ctrl-C stops everything"
# Any process that ends (a crash, a port in use) ends the run: a half topology is not a district.
wait -n "${pids[@]}" || true
echo "run-scaled: a process ended; see $RUN_DIR/*.log"
