"""Heartbeat benchmark: N learners each sending a heartbeat every 30 s.

Compares, in the same run and on the same database:

* ``naive``: the obvious ORM code — ``select_for_update().get()`` of the
  progress row, the same credit rules in Python, ``save()`` of the whole row
  and a ledger ``create()`` per heartbeat;
* ``production``: ``training.services.crediting.heartbeat_record`` — one SELECT, one
  conditional UPDATE (``WHERE client_seq = <read value>``), one ledger INSERT
  when time is credited, the lease in the cache.

Load: P worker processes share the learners; every learner has a fixed
schedule (offset + k × interval / compression). Latency is measured from the
*scheduled* time, so a worker that falls behind shows it as latency (no
coordinated omission). The service sees a simulated clock that advances the
full 30 s between a learner's heartbeats, so every heartbeat credits time as
in production however long the run (time-compressed: a minute of wall clock
stands for any stretch of study). ``--compression N`` multiplies the offered
rate for headroom tests.

This measures the service path (database + cache), not HTTP parsing.

Usage (PostgreSQL; Redis optional)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_heartbeat.py --learners 5000 --duration 60

It creates (and afterwards drops) its own database ``<name>_bench_heartbeat``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import database_create, database_drop, django_setup  # noqa: E402


def _setup_database(args: argparse.Namespace) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server: the target is measured on PostgreSQL.")
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'postgres'}_bench_heartbeat"
    return base, database_create(base, name)


def _django(url: str) -> None:
    # A run that falls behind must not lose its leases (they guard against two
    # windows, which the benchmark never opens): otherwise refusals, which are
    # cheap, would flatter the figures. Any refusal (logged at INFO) is reported.
    django_setup(url, TRAINING_LEASE_SECONDS="86400")


def _populate(learners: int) -> dict[str, int]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from organizations.models import Jurisdiction, TrainingProvider
    from training.models import Chapter, Course, Lesson, Progress

    root = Jurisdiction(code="990199", name="基准区", kind="district")
    root.save()
    provider = TrainingProvider.objects.create(code="bench", name="基准培训中心", jurisdiction=root)
    course = Course.objects.create(title="bench", owner_provider=provider, shared_with=root)
    chapter = Chapter.objects.create(course=course, title="bench")
    lessons = {
        mode: Lesson.objects.create(
            chapter=chapter, title=mode, kind="video", duration_seconds=10**6, credit_minutes=10**5
        ).pk
        for mode in ("naive", "production")
    }
    User.objects.bulk_create([User(username=f"bench{i:05d}", password="!") for i in range(learners)], batch_size=2000)
    user_ids = list(User.objects.filter(username__startswith="bench").order_by("pk").values_list("pk", flat=True))
    Progress.objects.bulk_create(
        [Progress(learner_id=uid, lesson_id=lid) for uid in user_ids for lid in lessons.values()], batch_size=5000
    )
    return {"first_user": user_ids[0], "last_user": user_ids[-1], **lessons}


def naive_heartbeat(
    *, user_id: int, lesson_id: int, token: str, client_seq: int, position: int, now: dt.datetime
) -> bool:
    """The baseline: lock, read the row, apply the rules, save() it all back."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import transaction

    from training.models import CreditLedger, Progress
    from training.services.crediting import Attribution, ledger_entry

    lease = cache.get(f"training:lease:{user_id}")
    if not lease or lease.split(":")[:2] != [str(lesson_id), token]:
        return False
    with transaction.atomic():
        progress = (
            Progress.objects.select_for_update().select_related("lesson").get(learner_id=user_id, lesson_id=lesson_id)
        )
        if client_seq <= progress.client_seq:
            return False
        gap = (now - progress.last_heartbeat_at).total_seconds() if progress.last_heartbeat_at else None
        if gap is not None and gap < settings.TRAINING_HEARTBEAT_MIN_INTERVAL_SECONDS:
            return False
        credit = int(min(gap or 0, settings.TRAINING_HEARTBEAT_MAX_GAP_SECONDS))
        allowance = (gap or 0) * settings.TRAINING_MAX_PLAYBACK_RATE_PERCENT / 100 + 2
        if position > progress.furthest + allowance:
            credit = 0
        else:
            progress.position = position
            progress.furthest = max(progress.furthest, position)
        progress.credited_seconds += credit
        progress.client_seq = client_seq
        progress.last_heartbeat_at = now
        progress.last_presence_at = now
        progress.save()
        if credit:
            entry = ledger_entry(
                learner_id=user_id,
                lesson_id=lesson_id,
                seconds=credit,
                ended_at=now,
                method=CreditLedger.Method.HEARTBEAT,
                detail="bench naive",
                attribution=Attribution(post="employee", enterprise_id=None, purpose="onboarding"),
            )
            CreditLedger.objects.create(**entry)
    return True


def _worker(
    mode: str,
    url: str,
    user_ids: list[int],
    lesson_id: int,
    start_box: Any,
    duration: float,
    interval: float,
    compression: float,
    queue: mp.Queue,
) -> None:
    _django(url)
    from django.core.cache import cache
    from django.utils import timezone

    from accounts.models import User
    from training.services.crediting import heartbeat_record

    real_interval = interval / compression
    for uid in user_ids:
        # lesson:token:post:enterprise:purpose:expires, as lesson_start writes it (no enterprise here).
        cache.set(f"training:lease:{uid}", f"{lesson_id}:t{uid}:employee::onboarding:{int(time.time()) + 86400}", 86400)
    users = {uid: User(pk=uid) for uid in user_ids}
    sim_t0 = timezone.now()

    def beat(uid: int, k: int) -> bool:
        now = sim_t0 + dt.timedelta(seconds=k * interval)
        if mode == "naive":
            return naive_heartbeat(
                user_id=uid, lesson_id=lesson_id, token=f"t{uid}", client_seq=k + 1, position=k * 30, now=now
            )
        return heartbeat_record(
            user=users[uid],
            lesson=lesson_id,
            token=f"t{uid}",
            client_seq=k + 1,
            position=k * 30,
            visible=True,
            interaction=True,
            now=now,
        ).accepted

    # Unmeasured: every learner's first heartbeat only anchors its span, so
    # that every measured heartbeat is one that credits time.
    for uid in user_ids:
        beat(uid, 0)
    queue.put("ready")
    while start_box.value == 0.0:
        time.sleep(0.01)
    start_at = start_box.value
    # Each learner: offset spread over one interval; beat k at start_at + offset + (k - 1) * real_interval.
    schedule = [(start_at + (i / len(user_ids)) * real_interval, uid, 1) for i, uid in enumerate(user_ids)]
    latencies, service, errors, refused = [], [], 0, 0
    end_at = start_at + duration
    index = 0
    pending = schedule
    while pending:
        next_round = []
        for due, uid, k in pending:
            if due >= end_at:
                continue
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            began = time.perf_counter()
            try:
                refused += 0 if beat(uid, k) else 1
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors += 1
                if errors <= 3:
                    print(f"[{mode}] error: {exc!r}", file=sys.stderr)
            service.append(time.perf_counter() - began)
            latencies.append(time.perf_counter() - due)
            next_round.append((due + real_interval, uid, k + 1))
            index += 1
        pending = next_round
    queue.put((latencies, service, errors, refused))


def _run(mode: str, url: str, info: dict[str, int], args: argparse.Namespace) -> dict[str, float]:
    from django.db import connections

    connections.close_all()
    user_ids = list(range(info["first_user"], info["last_user"] + 1))[: args.learners]
    shares = [user_ids[i :: args.workers] for i in range(args.workers)]
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    start_box = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=_worker,
            args=(mode, url, share, info[mode], start_box, args.duration, args.interval, args.compression, queue),
        )
        for share in shares
    ]
    for p in procs:
        p.start()
    for _ in procs:
        assert queue.get() == "ready"
    with start_box.get_lock():
        start_box.value = time.perf_counter() + 0.5
    latencies, service, errors, refused = [], [], 0, 0
    for _ in procs:
        lat, svc, err, ref = queue.get()
        latencies += lat
        service += svc
        errors += err
        refused += ref
    for p in procs:
        p.join()
    service.sort()
    s_q = statistics.quantiles(service, n=100) if len(service) >= 100 else [max(service)] * 99
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [max(latencies)] * 99

    return {
        "heartbeats": len(latencies),
        "rate": len(latencies) / args.duration,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "max_ms": latencies[-1] * 1000,
        "service_p50_ms": s_q[49] * 1000,
        "service_p95_ms": s_q[94] * 1000,
        "errors": errors,
        "refused": refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between a learner's heartbeats")
    parser.add_argument(
        "--compression",
        type=float,
        default=1.0,
        help="offered rate multiplier: 1 = the real rate, N = N times more heartbeats per second",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="wall-clock seconds per mode")
    parser.add_argument("--workers", type=int, default=8, help="processes sending heartbeats")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    admin_url, url = _setup_database(args)
    try:
        _django(url)
        from django.conf import settings

        info = _populate(args.learners)
        offered = args.learners * args.compression / args.interval
        print(
            f"learners={args.learners} interval={args.interval:g}s compression={args.compression:g} "
            f"offered={offered:.0f}/s duration={args.duration:g}s workers={args.workers} "
            f"db={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
            f"cache={settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]} cores={os.cpu_count()}"
        )
        results = {}
        for mode in ("naive", "production"):
            results[mode] = _run(mode, url, info, args)
            r = results[mode]
            print(
                f"{mode:>10}: {r['heartbeats']:>7} heartbeats {r['rate']:7.1f}/s  p50 {r['p50_ms']:8.1f} ms  "
                f"p95 {r['p95_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms  max {r['max_ms']:8.1f} ms  "
                f"errors {r['errors']}  refused {r['refused']}  "
                f"(service time alone: p50 {r['service_p50_ms']:.1f} ms, p95 {r['service_p95_ms']:.1f} ms)"
            )
        naive, prod = results["naive"], results["production"]
        print(
            f"ratio naive/production: p50 {naive['p50_ms'] / max(prod['p50_ms'], 1e-9):.1f}x  "
            f"p95 {naive['p95_ms'] / max(prod['p95_ms'], 1e-9):.1f}x"
        )
        target = prod["p95_ms"] < 200 and prod["errors"] == 0 and prod["refused"] == 0
        print(f"target (production p95 < 200 ms, 0 errors, 0 refused): {'MET' if target else 'NOT MET'}")
        print(f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        if args.keep:
            from django.db import connections

            connections.close_all()
        else:
            database_drop(admin_url, urlsplit(url).path.lstrip("/"))


if __name__ == "__main__":
    main()
