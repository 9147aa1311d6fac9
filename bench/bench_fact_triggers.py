"""What the analytics facts' write triggers cost the two hot write paths: the exam token API and heartbeats.

The facts (analytics/facts.py) are kept by database triggers that append a ``FactDirty`` marker in the
writer's transaction: an exam start and a submit each change an attempt row, and every credited
heartbeat inserts a 学时 ledger row. This bench measures that cost alone, on PostgreSQL, in one process:

* **exam**: the real token API in-process (DRF's ``APIClient`` through the WSGI handler and every
  middleware): start, 20 autosaves and submit of prepared attempts (``bench_exam``'s data);
* **ledger**: a 30-second heartbeat row inserted into the 学时 ledger (one per credited heartbeat).

Rounds alternate between the same database **with the triggers** (production) and **without them**
(baseline: ``ALTER TABLE … DISABLE TRIGGER USER``), so both see the same machine load; the CPU time per
operation (this process plus the PostgreSQL backend) moves little with the neighbours' load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_fact_triggers.py --n 1200 --rounds 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

# The tables whose triggers append FactDirty markers (analytics migrations 0002-0005).
TABLES = (
    "exams_attempt",
    "exams_examsession",
    "exams_certificate",
    "organizations_employment",
    "organizations_person",
    "organizations_enterprisestatus",
    "training_assignment",
    "training_creditledger",
    "organizations_industry",
    "training_requirementprofile",
    "organizations_jurisdiction",
)


def triggers_set(enabled: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


class Meter:
    """CPU seconds (this process + its PostgreSQL backend) and wall seconds of each timed operation."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu: dict[tuple[str, bool], float] = defaultdict(float)
        self.wall: dict[tuple[str, bool], list[float]] = defaultdict(list)

    def time(self, op: str, enabled: bool, call: Any) -> Any:
        cpu0, wall0 = time.process_time() + common.process_cpu(self.pid), time.perf_counter()
        result = call()
        self.wall[(op, enabled)].append(time.perf_counter() - wall0)
        self.cpu[(op, enabled)] += time.process_time() + common.process_cpu(self.pid) - cpu0
        return result


def exam_round(meter: Meter, enabled: bool, session_id: int, tokens: list[str]) -> None:
    import random

    from rest_framework.test import APIClient

    from bench.bench_exam import _answer_for

    rng = random.Random(len(tokens))
    for token in tokens:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        start = meter.time(
            "start",
            enabled,
            lambda c=client: c.post(f"/api/v1/exams/{session_id}/attempts/", {"confirm_notice": True}, format="json"),
        )
        assert start.status_code < 300, start.content[:200]
        paper = start.json()
        for question in paper["questions"]:
            body = {"answer": _answer_for(question, rng), "client_seq": 1}
            if paper.get("device"):
                body["device"] = paper["device"]
            url = f"/api/v1/attempts/{paper['attempt_id']}/answers/{question['id']}/"
            saved = meter.time("autosave", enabled, lambda c=client, u=url, b=body: c.put(u, b, format="json"))
            assert saved.status_code < 300, saved.content[:200]
        url = f"/api/v1/attempts/{paper['attempt_id']}/submit/"
        done = meter.time("submit", enabled, lambda c=client, u=url: c.post(u, {"reason": "examinee"}, format="json"))
        assert done.status_code < 300, done.content[:200]


def ledger_round(meter: Meter, enabled: bool, rows: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from organizations.models import Person
    from training.models import CreditLedger

    people = list(Person.objects.select_related("user", "enterprise").order_by("pk")[:rows])
    began = timezone.now() - dt.timedelta(hours=1)
    for i, person in enumerate(people):
        meter.time(
            "ledger row",
            enabled,
            lambda p=person, i=i: CreditLedger.objects.create(
                learner=p.user,
                enterprise=p.enterprise,
                started_at=began + dt.timedelta(seconds=30 * i),
                ended_at=began + dt.timedelta(seconds=30 * i + 30),
                seconds=30,
                method=CreditLedger.Method.HEARTBEAT,
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1200, help="examinees prepared (split over the rounds)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds per mode, alternating with and without")
    parser.add_argument("--ledger-rows", type=int, default=500, help="ledger rows written per round")
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the benchmark creates and drops its own database).")
    name = urlsplit(admin_url).path.lstrip("/") + "_bench_triggers"
    url = common.database_create(admin_url, name)
    try:
        common.django_setup(
            url, EXAMS_SCHEDULER="off", PERIODIC_JOBS="off", TOKEN_RATE_LIMIT="1000000/min", REQUEST_LOG="false"
        )
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from bench.bench_exam import open_window, setup_data

        data = setup_data(args.n, 0, 20)
        session_id, tokens = data["prod"]
        open_window(session_id)
        meter = Meter(backend_pid())
        per_round = len(tokens) // (2 * args.rounds)
        began = time.perf_counter()
        for r in range(args.rounds):
            for enabled in (True, False) if r % 2 == 0 else (False, True):
                triggers_set(enabled)
                chunk = tokens[:per_round]
                tokens = tokens[per_round:]
                exam_round(meter, enabled, session_id, chunk)
                ledger_round(meter, enabled, args.ledger_rows)
        triggers_set(True)
        from analytics.models import FactDirty

        markers = FactDirty.objects.count()
        print(
            f"{args.rounds} rounds per mode, {per_round} examinees and {args.ledger_rows} ledger rows per round; "
            f"{time.perf_counter() - began:.0f} s; {markers} FactDirty markers written by the production rounds"
        )
        print(f"{'op':<11} {'n':>6} {'CPU ms/op':>10} {'CPU ms/op':>10} {'p50 ms':>7} {'p50 ms':>7} {'CPU':>7}")
        print(f"{'':<11} {'':>6} {'without':>10} {'with':>10} {'without':>7} {'with':>7} {'ratio':>7}")
        for op in ("start", "autosave", "submit", "ledger row"):
            n = len(meter.wall[(op, True)])
            off = meter.cpu[(op, False)] / max(1, len(meter.wall[(op, False)])) * 1000
            on = meter.cpu[(op, True)] / max(1, n) * 1000
            p50_off = statistics.median(meter.wall[(op, False)]) * 1000
            p50_on = statistics.median(meter.wall[(op, True)]) * 1000
            print(f"{op:<11} {n:>6} {off:>10.2f} {on:>10.2f} {p50_off:>7.2f} {p50_on:>7.2f} {on / off:>6.2f}x")
    finally:
        common.database_drop(admin_url, name)


if __name__ == "__main__":
    main()
