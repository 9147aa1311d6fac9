"""Proctoring websocket transport benchmark: N examinees on real daphne processes over Redis.

Each simulated examinee holds one websocket to ``/ws/proctoring/attempts/<id>/``
on one of ``--servers`` daphne processes (``config.asgi``, PostgreSQL,
channels-redis), and, like static/js/proctor-client.js:

* sends a browser event every 5 s (``--event-every``) with the next client
  sequence number, keeps it until the server acknowledges it (the server
  stores it before acking), and after a reconnect drops what the server's
  ``hello`` says it holds and resends the rest;
* sends a binary snapshot (a ~17 KB JPEG of the packaged astronaut, what the
  page sends) every 30 s (``--snapshot-every``; the session's policy allows
  exactly that rate, and never more than one per 5 s): stored privately and queued
  for Celery. No worker runs here: face matching is bench_snapshot.py's
  measure, this one is the transport;
* drops its connection now and then (``--churn`` of the examinees per minute)
  and reconnects.

One proctor socket per server listens to the session's live grid group, so
every event is also broadcast as in production.

Time compression: ``--compress C`` divides both periods by C, so a 60 s run
at C=2 is two minutes of exam at twice the production message rate.
Latency is measured from the moment the event is sent to its ack.

Reported per N (200, 500, 1000 by default): event-ack p50/p95/p99/max,
sequence gaps (events the client generated that the database does not hold
exactly once, in order, plus holes), snapshots acknowledged vs stored, and
RSS per connection (server RSS with the connections open minus idle, / N).
Every examinee has agreed to face processing (``consent_give``), so snapshots
are stored, not refused; an error frame with any code but ``snapshot_too_soon``
stops the run with a non-zero exit.

``--topology scaled`` runs the load against the whole district topology of
``deploy/run-scaled.sh`` (``make run-scaled``) instead: its --servers daphne
processes (WS_PORTS) serve the /ws/ connections, the examinees spread over them as
the proxy's upstream spreads them, next to its two gunicorn processes, a Celery worker
(which processes every snapshot: decoding and face detection, about 31 ms of task
time each; no reference photo is enrolled here, so none is compared) and beat, all
on this 2-core machine. Server
RSS and CPU are then those of every process of the topology.

Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_ws.py --sizes 200 500 1000 --duration 60

It creates (and drops) its own database ``<name>_bench_ws`` and Redis key prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

# The only refusal a well-behaved client may meet: a frame the server clock sees ahead of the
# policy's rate (the client's timer and the server's clock disagree by more than the burst).
# Any other error code means the bench is not measuring what it says (e.g. ``consent_required``:
# every snapshot refused, nothing stored), and the run fails.
EXPECTED_ERRORS = frozenset({"snapshot_too_soon"})
EVENTS = ["blur", "focus", "copy", "paste", "contextmenu", "fullscreen_exit", "offline", "online"]


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def setup_data(n: int, snapshot_period: float = 30.0) -> dict[str, Any]:
    """Examinees with in-progress attempts in one proctored session, and their session cookies.

    The policy's shortest snapshot interval is the examinees' snapshot period (the server refuses
    frames faster than the policy allows: proctoring.services.snapshots.snapshot_receive).
    Every examinee has agreed to face processing (the current consent text), as the exam page
    makes them before the camera starts: without it every snapshot is refused with
    ``consent_required`` and nothing is stored.
    """
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import User
    from exams.models import Attempt, ExamSession, PaperTemplate
    from organizations.models import Enterprise, Industry, Jurisdiction, Person, RoleGrant, TrainingProvider
    from organizations.validators import complete_credit_code, complete_id_number
    from proctoring.services.actions import policy_set
    from proctoring.services.consent import consent_give

    district = Jurisdiction(code="990198", name="压测区", kind=Jurisdiction.Kind.DISTRICT)
    district.save()
    enterprise = Enterprise.objects.create(
        name="压测企业",
        credit_code=complete_credit_code("91990198MA0000001"),
        industry=Industry.objects.get(code="hazardous_chemicals"),
        jurisdiction=district,
    )
    provider = TrainingProvider.objects.create(code="bench-ws", name="压测培训中心", jurisdiction=district)
    paper = PaperTemplate.objects.create(provider=provider, name="压测试卷", kind=PaperTemplate.Kind.FIXED)
    now = timezone.now()
    session = ExamSession.objects.create(
        provider=provider,
        paper=paper,
        title="监考压测",
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(hours=6),
        duration_minutes=300,
        pass_score=Decimal(60),
    )
    # Warnings only (nothing submits): the bench measures transport, not policy outcomes.
    snapshot_min = max(5, int(snapshot_period))
    policy_set(
        session=session,
        tab_warn_at=1000,
        phone_aware=True,
        snapshot_min_seconds=snapshot_min,
        snapshot_max_seconds=max(snapshot_min, 60),
    )
    User.objects.bulk_create([User(username=f"wsbench{i}", password="!", display_name=f"考生{i}") for i in range(n)])
    users = list(User.objects.filter(username__startswith="wsbench").order_by("pk"))
    Person.objects.bulk_create(
        [
            Person(
                user=u,
                enterprise=enterprise,
                name=f"考生{i}",
                hire_date=dt.date(2025, 1, 1),
                id_number=complete_id_number(f"990198{19800101 + i // 1000:08d}{i % 1000:03d}"),
            )
            for i, u in enumerate(users)
        ]
    )
    people = list(Person.objects.filter(enterprise=enterprise).select_related("user").order_by("pk"))
    for p in people:
        consent_give(person=p, by=p.user, text_version=settings.PROCTORING_CONSENT_VERSION)
    Attempt.objects.bulk_create(
        [
            Attempt(
                session=session,
                person=p,
                status=Attempt.Status.IN_PROGRESS,
                started_at=now,
                deadline=now + dt.timedelta(hours=5),
            )
            for p in people
        ]
    )
    attempts = dict(Attempt.objects.filter(session=session).values_list("person__user_id", "pk"))
    proctor = User.objects.create(username="wsbench-proctor", password="!")
    RoleGrant.objects.create(user=proctor, role=RoleGrant.Role.PROCTOR, jurisdiction=district)

    def cookie(user: Any) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    examinees = [(attempts[u.pk], cookie(u)) for u in users]
    return {"session": session.pk, "examinees": examinees, "proctor": cookie(proctor)}


def stored_events() -> dict[int, list[int]]:
    from proctoring.models import BrowserEvent

    result: dict[int, list[int]] = {}
    for attempt_id, seq in BrowserEvent.objects.order_by("attempt_id", "client_seq").values_list(
        "attempt_id", "client_seq"
    ):
        result.setdefault(attempt_id, []).append(seq)
    return result


def stored_snapshots() -> int:
    from proctoring.models import Snapshot

    return Snapshot.objects.count()


@dataclass
class Stats:
    acks: list[float] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)  # when each ack arrived (monotonic), for the timeline
    generated: dict[int, int] = field(default_factory=dict)
    snapshots_acked: int = 0
    snapshots_sent: int = 0
    reconnects: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    connect_failures: int = 0


class Examinee:
    def __init__(
        self, attempt_id: int, cookie: str, server: str, args: argparse.Namespace, stats: Stats, snapshot: bytes
    ) -> None:
        self.attempt_id = attempt_id
        self.cookie = cookie
        self.url = server.replace("http://", "ws://") + f"/ws/proctoring/attempts/{attempt_id}/"
        self.origin = server
        self.args = args
        self.stats = stats
        self.snapshot = snapshot
        self.seq = 0
        self.pending: dict[int, tuple[dict[str, Any], float]] = {}
        self.rng = random.Random(attempt_id)  # noqa: S311

    async def run(self, http: Any, stop_at: float, delay: float) -> None:
        # Examinees arrive over the ramp, as a class does (not all in the same millisecond).
        await asyncio.sleep(delay)
        failures = 0
        event_period = self.args.event_every / self.args.compress
        snapshot_period = self.args.snapshot_every / self.args.compress
        next_event = time.monotonic() + self.rng.uniform(0, event_period)
        next_snapshot = time.monotonic() + self.rng.uniform(0, snapshot_period)
        churn_per_second = self.args.churn / 60 * self.args.compress
        while time.monotonic() < stop_at:
            try:
                ws = await http.ws_connect(
                    self.url, headers={"Origin": self.origin, "Cookie": f"sessionid={self.cookie}"}, heartbeat=None
                )
            except Exception:
                self.stats.connect_failures += 1
                failures += 1
                # Backoff with jitter, as proctor-client.js.
                await asyncio.sleep(min(15, 0.5 * 2**failures) * (0.5 + self.rng.random() / 2))
                continue
            failures = 0
            reader = asyncio.create_task(self.read(ws))
            try:
                while time.monotonic() < stop_at and not ws.closed:
                    now = time.monotonic()
                    wake = min(next_event, next_snapshot, stop_at)
                    if wake > now:
                        await asyncio.sleep(wake - now)
                        continue
                    if now >= next_event:
                        next_event += event_period
                        self.seq += 1
                        self.stats.generated[self.attempt_id] = self.seq
                        message = {"type": "event", "seq": self.seq, "event": self.rng.choice(EVENTS)}
                        self.pending[self.seq] = (message, time.monotonic())
                        if getattr(self, "ready", False):
                            await ws.send_str(json.dumps(message))
                        if self.rng.random() < churn_per_second * event_period:
                            self.stats.reconnects += 1
                            break
                    if now >= next_snapshot:
                        next_snapshot += snapshot_period
                        if getattr(self, "ready", False):
                            self.stats.snapshots_sent += 1
                            await ws.send_bytes(self.snapshot)
            finally:
                self.ready = False
                await ws.close()
                reader.cancel()
        # Drain: reconnect once so that whatever is unacknowledged is resent and acked.
        await self.drain(http)

    async def drain(self, http: Any) -> None:
        for _ in range(5):
            if not self.pending:
                return
            try:
                ws = await http.ws_connect(
                    self.url, headers={"Origin": self.origin, "Cookie": f"sessionid={self.cookie}"}
                )
            except Exception:
                await asyncio.sleep(1)
                continue
            reader = asyncio.create_task(self.read(ws))
            deadline = time.monotonic() + 30
            while self.pending and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await ws.close()
            reader.cancel()

    async def read(self, ws: Any) -> None:
        import aiohttp

        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            kind = data.get("type")
            if kind == "hello":
                for seq in [s for s in self.pending if s <= data["last_seq"]]:
                    del self.pending[seq]
                self.ready = True
                for seq in sorted(self.pending):
                    message, _sent = self.pending[seq]
                    self.pending[seq] = (message, time.monotonic())
                    await ws.send_str(json.dumps(message))
            elif kind == "ack":
                entry = self.pending.pop(data["seq"], None)
                if entry is not None:
                    self.stats.acks.append(time.monotonic() - entry[1])
                    self.stats.ack_times.append(time.monotonic())
            elif kind == "snapshot_ack":
                self.stats.snapshots_acked += 1
            elif kind == "error":
                code = data.get("code", "?")
                self.stats.errors[code] = self.stats.errors.get(code, 0) + 1


async def proctor_listener(server: str, session_id: int, cookie: str, stop_at: float, counter: list[int]) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(
            server.replace("http://", "ws://") + f"/ws/proctoring/sessions/{session_id}/",
            headers={"Origin": server, "Cookie": f"sessionid={cookie}"},
            max_msg_size=0,
        )
        while time.monotonic() < stop_at + 5:
            try:
                msg = await asyncio.wait_for(ws.receive(), timeout=1)
            except TimeoutError:
                continue
            if msg.type == aiohttp.WSMsgType.TEXT:
                counter[0] += 1
            elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
        await ws.close()


async def run_load(
    servers: list[str], data: dict[str, Any], n: int, args: argparse.Namespace, snapshot: bytes, pids: list[int]
) -> tuple[Stats, dict[str, Any]]:
    import aiohttp

    stats = Stats()
    stop_at = time.monotonic() + args.duration
    connector = aiohttp.TCPConnector(limit=0)
    broadcasts = [0]
    idle = sum(_rss_kb(pid) for pid in pids)
    async with aiohttp.ClientSession(connector=connector) as http:
        proctors = [
            asyncio.create_task(proctor_listener(s, data["session"], data["proctor"], stop_at, broadcasts))
            for s in servers
        ]
        examinees = [
            Examinee(attempt_id, cookie, servers[i % len(servers)], args, stats, snapshot)
            for i, (attempt_id, cookie) in enumerate(data["examinees"][:n])
        ]
        tasks = [asyncio.create_task(e.run(http, stop_at, args.ramp * i / n)) for i, e in enumerate(examinees)]
        await asyncio.sleep(min(args.duration / 2, 20))
        loaded = sum(_rss_kb(pid) for pid in pids)
        await asyncio.gather(*tasks)
        for p in proctors:
            p.cancel()
    return stats, {"idle_kb": idle, "loaded_kb": loaded, "broadcasts": broadcasts[0]}


@contextmanager
def scaled_topology(
    bench_url: str, env: dict[str, str], private: Path, *, ws_processes: int
) -> Iterator[tuple[list[str], list[int]]]:
    """``deploy/run-scaled.sh`` on the bench database (migrated) with ``ws_processes`` daphne for /ws/:
    their URLs (the examinees spread over them, as the proxy's upstream does) and the pids of all
    its processes; stopped after."""
    from tests.support.run_scaled import run_scaled

    passed = ("DEBUG", "SECURE_SSL_REDIRECT", "SECRET_KEY", "LOG_LEVEL", "ALLOWED_HOSTS")
    with (
        run_scaled(
            bench_url,
            Path(tempfile.mkdtemp(prefix="bench-ws-scaled-")),  # kept: the processes' logs
            **{name: env[name] for name in passed},
            ws_processes=ws_processes,
            PRIVATE_STORAGE_ROOT=str(private),
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="4",
            CELERY_CONCURRENCY="2",
            MIGRATE="0",
        ) as run,
    ):
        ws = [f"http://127.0.0.1:{port}" for port in run.ws_ports]
        print(f"run-scaled: websockets {' '.join(ws)}, web {' '.join(run.web_urls)}; logs in {run.run_dir}")
        yield ws, common.with_descendants([run.process.pid])


def reset_events() -> None:
    from proctoring.models import AttemptMonitor, BrowserEvent, Snapshot

    BrowserEvent.objects.all().delete()
    Snapshot.objects.all().delete()
    AttemptMonitor.objects.all().delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument(
        "--servers",
        type=int,
        default=2,
        help="daphne processes (alone, or run-scaled's for /ws/ with --topology scaled)",
    )
    parser.add_argument(
        "--topology",
        choices=("daphne", "scaled"),
        default="daphne",
        help="daphne: --servers daphne processes alone; scaled: deploy/run-scaled.sh (--servers daphne for /ws/ "
        "beside two gunicorn processes, a Celery worker and beat)",
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per size")
    parser.add_argument("--compress", type=float, default=1.0, help="divide the 5 s / 30 s periods by this")
    parser.add_argument("--event-every", type=float, default=5.0)
    parser.add_argument("--snapshot-every", type=float, default=30.0)
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the examinees connect")
    parser.add_argument("--timeline", action="store_true", help="print ack latency per 5 s of the run")
    parser.add_argument("--churn", type=float, default=0.05, help="share of examinees reconnecting per (exam) minute")
    args = parser.parse_args()

    admin_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the target is two ASGI processes on Redis.")
    common.open_files_raise()
    name = urlsplit(admin_url).path.lstrip("/") + "_bench_ws"
    bench_url = common.database_create(admin_url, name)
    private = Path(tempfile.mkdtemp(prefix="bench-ws-private-"))
    prefix = "benchws-" + secrets.token_hex(4)
    env = common.server_env(
        bench_url,
        "bench-ws",
        PRIVATE_STORAGE_ROOT=str(private),
        REDIS_PREFIX=prefix,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # No periodic jobs in the servers: the bench measures the sockets alone.
        PERIODIC_JOBS="off",
    )
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "DJANGO_SETTINGS_MODULE",
                "DEBUG",
                "SECRET_KEY",
                "PRIVATE_STORAGE_ROOT",
                "REDIS_PREFIX",
            )
        }
    )
    processes: list[subprocess.Popen[bytes]] = []
    topology = ExitStack()
    rows = []
    failure = ""
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        # Snapshots at the policy's rate: at most one per snapshot_min_seconds, and that is at least 5 s.
        if args.snapshot_every / args.compress < 5:
            print(
                f"note: snapshot period raised to 5 s (the policy minimum) from {args.snapshot_every / args.compress:g} s"
            )
            args.snapshot_every = 5 * args.compress
        data = setup_data(max(args.sizes), args.snapshot_every / args.compress)
        from tests.support import faces

        snapshot = faces.snapshot_jpeg(faces.astronaut_bgr())
        if args.topology == "scaled":
            servers, pids = topology.enter_context(scaled_topology(bench_url, env, private, ws_processes=args.servers))
        else:
            log_dir = Path(tempfile.gettempdir())
            ports = [free_port() for _ in range(args.servers)]
            started, servers = common.servers_start(
                [(port, common.daphne(port, "config.asgi:application")) for port in ports],
                env=env,
                logs=[log_dir / f"bench-ws-daphne-{i}.log" for i in range(args.servers)],
            )
            processes.extend(started)
            pids = [p.pid for p in processes]
        for n in sorted(args.sizes):
            reset_events()
            busy0, server0 = common.cpu_busy(), sum(_cpu_seconds(pid) for pid in pids)
            stats, memory = asyncio.run(run_load(servers, data, n, args, snapshot, pids))
            busy1, server1 = common.cpu_busy(), sum(_cpu_seconds(pid) for pid in pids)
            stored = stored_events()
            # A gap is a hole: a sequence number missing below one the server stored (or stored twice).
            # Events the client still holds unacknowledged at the end are counted apart: they are
            # not lost, the client resends them on its next connection.
            gaps = unacked = 0
            for attempt_id, generated in stats.generated.items():
                seqs = stored.get(attempt_id, [])
                top = seqs[-1] if seqs else 0
                gaps += top - len(set(seqs)) + (len(seqs) - len(set(seqs)))
                unacked += generated - top
            rows.append(
                {
                    "n": n,
                    "events": sum(stats.generated.values()),
                    "acks": len(stats.acks),
                    "p50": common.pct(stats.acks, 50),
                    "p95": common.pct(stats.acks, 95),
                    "p99": common.pct(stats.acks, 99),
                    "max": max(stats.acks) * 1000 if stats.acks else float("nan"),
                    "gaps": gaps,
                    "unacked_at_end": unacked,
                    "snap_sent": stats.snapshots_sent,
                    "snap_acked": stats.snapshots_acked,
                    "snap_stored": stored_snapshots(),
                    "reconnects": stats.reconnects,
                    "errors": stats.errors,
                    "connect_failures": stats.connect_failures,
                    "rss_per_conn_kb": (memory["loaded_kb"] - memory["idle_kb"]) / n,
                    "rss_total_mb": memory["loaded_kb"] / 1024,
                    "broadcasts": memory["broadcasts"],
                    "busy": (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1),
                    "server_cpu_s": server1 - server0,
                    "server_cpu_ms_per_msg": (server1 - server0)
                    * 1000
                    / max(sum(stats.generated.values()) + stats.snapshots_sent, 1),
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
            if args.timeline:
                start = min(stats.ack_times, default=0)
                buckets: dict[int, list[float]] = {}
                for at, latency in zip(stats.ack_times, stats.acks, strict=True):
                    buckets.setdefault(int((at - start) // 5), []).append(latency)
                for bucket, values in sorted(buckets.items()):
                    print(
                        f"  t={bucket * 5:>3}-{bucket * 5 + 5:<3}s acks {len(values):>5}  "
                        f"p50 {common.pct(values, 50):7.1f}  p99 {common.pct(values, 99):7.1f}  max {max(values) * 1000:7.1f} ms"
                    )
            unexpected = {code: count for code, count in stats.errors.items() if code not in EXPECTED_ERRORS}
            if unexpected:
                failure = (
                    f"N={n}: the server refused messages for reasons the bench does not expect: {unexpected} "
                    f"(snapshots acked {stats.snapshots_acked}/{stats.snapshots_sent} sent, stored {rows[-1]['snap_stored']}); "
                    "the figures do not measure the transport"
                )
                break
    finally:
        common.processes_stop(processes)
        topology.close()
        common.database_drop(admin_url, name)
        shutil.rmtree(private, ignore_errors=True)
        try:
            import redis

            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
            client.delete(env["CELERY_QUEUE"])  # the queued snapshot tasks of this run (no worker consumed them)
        except Exception as exc:
            print(f"redis cleanup skipped: {exc}")

    cores = os.cpu_count() or 1
    shape = (
        f"run-scaled ({args.servers} daphne for /ws/ + 2 gunicorn + Celery worker and beat)"
        if args.topology == "scaled"
        else f"{args.servers} daphne processes"
    )
    print(
        f"\n{shape}, {cores} cores, PostgreSQL + Redis; an event every "
        f"{args.event_every / args.compress:g} s and a snapshot ({len(snapshot) // 1024} KB) every "
        f"{args.snapshot_every / args.compress:g} s per examinee (compression x{args.compress:g}); "
        f"{args.churn:.0%} reconnect per exam minute; {args.duration:g} s per size"
    )
    header = f"{'N':>6}{'events':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'gaps':>6}{'snaps ok/sent':>15}{'reconn':>8}{'RSS/conn KB':>13}{'machine CPU':>12}{'server ms/msg':>14}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['n']:>6}{r['events']:>8}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['p99']:>8.1f}{r['max']:>8.0f}{r['gaps']:>6}"
            f"{str(r['snap_acked']) + '/' + str(r['snap_sent']):>15}{r['reconnects']:>8}{r['rss_per_conn_kb']:>13.0f}{r['busy']:>12.0%}{r['server_cpu_ms_per_msg']:>14.2f}"
        )
        if r["errors"] or r["connect_failures"]:
            print(f"      errors: {r['errors']}; failed connects: {r['connect_failures']}")
    print("target: 1,000 examinees on 2 cores, ack p99 < 250 ms, 0 gaps")
    if failure:
        sys.exit(f"\nFAILED: {failure}")


if __name__ == "__main__":
    main()
