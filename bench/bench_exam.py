"""Exam load test: N examinees released at once, 20 questions, autosave per answer, submit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_exam.py
    ... bench/bench_exam.py --n 2000 --servers 4 --compress 10 --naive-n 500

Load profile (after a published Moodle 4.5 quiz load test): N examinees are
released together at the start; each gets a 20-question paper, answers every
question after 30-90 s of think time (divided by --compress; 10 % of answers
are changed once more), autosaving each answer, then submits.

Run on a fresh PostgreSQL database (``<DATABASE_URL db>_bench_exam``, dropped
after), against one of the two serving topologies (--topology):
- ``asgi`` (default): --servers daphne processes of config.asgi, each client
  pinned to one of them; every request through Django's ASGI handler, each
  process with a psycopg pool of --pool connections (the embedded default's
  server, multiplied);
- ``wsgi``: one gunicorn (config/gunicorn.py) with --servers gthread workers of
  --threads threads sharing one listening socket, each thread keeping its
  PostgreSQL connection (the scaled-out topology's HTTP side; its websockets
  would be daphne's, and this bench opens none);
- ``scaled``: the whole district topology of ``deploy/run-scaled.sh`` (``make
  run-scaled``): two gunicorn processes on two ports with --servers gthread
  workers between them (--servers / 2 each) of --threads threads, daphne for
  /ws/, a Celery worker and beat, all on this run's database and on Redis
  (REDIS_URL, required); each client is pinned to one of the two ports, as a
  proxy's upstream would spread them. Beat's deadline job is set to a day, as
  the other topologies run none: it would prepare the naive cohort's papers.
The load generator is one asyncio process (aiohttp, no per-request threads);
its CPU share is printed next to the results.

Two cohorts in the same run, on the same servers:
- production: papers prepared before the window opens, start = one conditional
  UPDATE + the cached payload; autosave = locked, idempotent, logged
  (``exams.services``) through the real API;
- naive baseline: start = ``get_or_create`` of the attempt + 20 drawn rows
  (each built by production's ``attempt_question_build``) inserted one by
  one + the questions serialised; autosave = fetch the attempt, fetch the
  question, ``save()`` (no lock, no idempotency). These views exist only in
  this file (served when BENCH_EXAM_SERVER=1).

Reported: p50/p95/p99 for start, autosave and submit, errors, and lost answers
(acknowledged but not in the database at the end).
Targets (2 cores): production start p99 <= 10 s for 2,000 released at the
same instant; autosave and submit p95 < 500 ms; 0 errors; 0 lost answers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# --- served by daphne: the real app plus the naive baseline routes -------------------
if os.environ.get("BENCH_EXAM_SERVER") == "1":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.bench_exam"
    # Django's ASGI handler runs each concurrent request's sync code in its own
    # thread, each with its own connection: without a bounded pool, 2,000
    # simultaneous starts exhaust PostgreSQL's max_connections (100 here).
    # Under gunicorn's gthread worker (--topology wsgi) each thread keeps its own
    # connection (CONN_MAX_AGE) and the bench passes --pool 0.
    pool_size = int(os.environ.get("BENCH_DB_POOL", "8"))
    if pool_size:
        settings.DATABASES["default"].update(
            CONN_MAX_AGE=0,
            CONN_HEALTH_CHECKS=False,
            OPTIONS={"pool": {"min_size": 2, "max_size": pool_size, "timeout": 120}},
        )
    import datetime as dt
    import random

    from django.urls import include, path
    from django.utils import timezone
    from rest_framework.response import Response
    from rest_framework.views import APIView

    if os.environ.get("BENCH_TOPOLOGY") == "wsgi":
        from config.wsgi import application  # noqa: F401  (gunicorn bench.bench_exam:application)
    else:
        from config.asgi import application  # noqa: F401  (daphne bench.bench_exam:application)
    from exams.models import Attempt, AttemptQuestion, ExamSession
    from exams.services.sessions import attempt_question_build
    from question_bank.models import Question

    class NaiveStart(APIView):
        def post(self, request, session_id):  # type: ignore[no-untyped-def]
            person = request.user.person
            session = ExamSession.objects.select_related("paper").get(pk=session_id)
            now = timezone.now()
            attempt, created = Attempt.objects.get_or_create(
                session=session,
                person=person,
                seq=1,
                defaults={
                    "status": Attempt.Status.IN_PROGRESS,
                    "started_at": now,
                    "deadline": now + dt.timedelta(minutes=session.duration_minutes),
                },
            )
            if created:
                # Each row as production builds it (exams.services.sessions), inserted one by one.
                rng = random.Random()  # noqa: S311 - a baseline's shuffle, not a secret
                position = 0
                for rule in session.paper.rules.all():
                    drawn = Question.objects.filter(bank__in=rule.banks.all(), type=rule.qtype).order_by("?")[
                        : rule.count
                    ]
                    for q in drawn:
                        attempt_question_build(
                            attempt=attempt,
                            question=q,
                            position=position,
                            score=rule.score,
                            rng=rng,
                            shuffle_options=session.shuffle_options,
                        ).save()
                        position += 1
            questions = [
                {"id": aq.pk, "type": aq.qtype, "stem": aq.stem, "options": aq.options, "score": str(aq.score)}
                for aq in AttemptQuestion.objects.filter(attempt=attempt)
                .select_related("question")
                .order_by("position")
            ]
            random.shuffle(questions)
            return Response(
                {"attempt_id": attempt.pk, "deadline": attempt.deadline, "server_time": now, "questions": questions},
                status=201,
            )

    class NaiveAnswer(APIView):
        def put(self, request, attempt_id, question_id):  # type: ignore[no-untyped-def]
            attempt = Attempt.objects.get(pk=attempt_id, person__user=request.user)
            if attempt.status != Attempt.Status.IN_PROGRESS:
                return Response({"detail": "closed"}, status=409)
            aq = AttemptQuestion.objects.get(pk=question_id, attempt=attempt)
            aq.given = request.data["answer"]
            aq.client_seq = request.data["client_seq"]
            aq.answered_at = timezone.now()
            aq.save()
            return Response({"question_id": aq.pk, "client_seq": aq.client_seq})

    urlpatterns = [
        path("bench-naive/exams/<id:session_id>/attempts/", NaiveStart.as_view()),
        path("bench-naive/attempts/<id:attempt_id>/answers/<id:question_id>/", NaiveAnswer.as_view()),
        path("", include("config.urls")),
    ]


# --- the driver --------------------------------------------------------------------------
import argparse  # noqa: E402
import asyncio  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from bench import common  # noqa: E402
from tests.support.servers import free_port  # noqa: E402


@dataclass
class Cohort:
    name: str
    session_id: int
    tokens: list[str]
    start_path: str
    answer_path: str  # with {attempt} and {question}
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"start": [], "autosave": [], "submit": []})
    errors: dict[str, int] = field(default_factory=lambda: {"start": 0, "autosave": 0, "submit": 0})
    acked: dict[int, tuple[int, Any]] = field(default_factory=dict)  # attempt question -> (seq, answer)
    attempts: list[int] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    released_at: float = 0.0
    timeline: list[tuple[str, float, float]] = field(default_factory=list)  # (op, sent after release s, latency s)
    cpu: Any = None  # CpuSampler of the run


def _postgres_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


class CpuSampler:
    """CPU share per second of the servers, PostgreSQL and this load generator (for --timeline)."""

    def __init__(self, server_pids: list[int]) -> None:
        import threading

        self.server_pids = server_pids
        self.samples: list[tuple[float, float, float, float]] = []  # (monotonic, servers, postgres, generator)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _totals(self) -> dict[str, float]:
        """CPU seconds so far per process; a delta is taken only for processes seen in both samples."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        totals = {f"s{pid}": common.process_cpu(pid) for pid in self._server_processes()}
        totals.update({f"p{pid}": common.process_cpu(pid) for pid in _postgres_pids()})
        totals["generator"] = usage.ru_utime + usage.ru_stime
        return totals

    def _run(self) -> None:
        previous, at = self._totals(), time.perf_counter()
        while not self._stop.wait(1.0):
            current, now = self._totals(), time.perf_counter()
            span = now - at
            shares = {"s": 0.0, "p": 0.0, "g": 0.0}
            for key, value in current.items():
                if key in previous:
                    shares[key[0]] += max(0.0, value - previous[key]) / span
            self.samples.append((now, shares["s"], shares["p"], shares["g"]))
            previous, at = current, now

    def _server_processes(self) -> list[int]:
        """The servers and all their descendants, as they are now."""
        return common.with_descendants(self.server_pids)

    def _server_cpu(self) -> float:
        return sum(common.process_cpu(pid) for pid in self._server_processes())

    def __enter__(self) -> CpuSampler:
        self.server_cpu = -self._server_cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.server_cpu += self._server_cpu()  # CPU seconds the servers spent on this cohort

    def window(self, released_at: float, start: float, end: float) -> tuple[float, float, float]:
        rows = [s[1:] for s in self.samples if start <= s[0] - released_at < end]
        if not rows:
            return (0.0, 0.0, 0.0)
        return tuple(sum(column) / len(rows) for column in zip(*rows, strict=True))  # type: ignore[return-value]


def setup_data(n: int, naive_n: int, questions: int) -> dict[str, Any]:
    """Runs in this process against the bench database (DJANGO_SETTINGS_MODULE set by main)."""
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from exams.services.papers import RuleSpec, paper_create_rules
    from exams.services.sessions import session_create, session_prepare
    from organizations.models import Enterprise, Industry, Jurisdiction, Person, TrainingProvider
    from organizations.validators import complete_credit_code, complete_id_number
    from question_bank.models import Bank, Question, QuestionType
    from tests.support.questions import new_question

    district = Jurisdiction(code="990199", name="压测区", kind=Jurisdiction.Kind.DISTRICT)
    district.save()
    industry = Industry.objects.get(code="hazardous_chemicals")
    enterprises = [
        Enterprise.objects.create(
            name=f"压测企业{i}",
            credit_code=complete_credit_code(f"91990199MA{i:07d}"),
            industry=industry,
            jurisdiction=district,
        )
        for i in range(10)
    ]
    provider = TrainingProvider.objects.create(code="bench", name="压测培训中心", jurisdiction=district)
    bank = Bank.objects.create(owner=provider, code="bench-bank", name="压测题库")
    per_type = {
        QuestionType.SINGLE: 10,
        QuestionType.MULTIPLE: 4,
        QuestionType.TRUE_FALSE: 4,
        QuestionType.FILL_BLANK: 2,
    }
    scale = questions / 20
    per_type = {k: max(1, round(v * scale)) for k, v in per_type.items()}
    rows = []
    for qtype, count in per_type.items():
        for i in range(count * 10):
            options = [f"选项{c}{i}" for c in "ABCD"] if qtype in ("single", "multiple") else []
            answer: Any = {"single": "B", "multiple": "ACD", "true_false": True, "fill_blank": [["答案"]]}[qtype]
            stem = f"{qtype} 压测题 {i}：" + "安全生产" * 10
            rows.append(new_question(bank, qtype, stem, options, answer, knowledge_point=f"知识点{i % 5}"))
    Question.objects.bulk_create(rows)
    paper = paper_create_rules(
        provider=provider,
        name="压测试卷",
        rules=[RuleSpec(qtype=k, count=v, score=Decimal(5), banks=[bank]) for k, v in per_type.items()],
    )

    def people(count: int, offset: int) -> list[str]:
        users = User.objects.bulk_create(
            [User(username=f"bench{offset + i}", password="!", display_name=f"考生{offset + i}") for i in range(count)]
        )
        if users and users[0].pk is None:
            users = list(User.objects.filter(username__startswith="bench").order_by("pk"))[offset : offset + count]
        base = dt.date(1980, 1, 1)
        Person.objects.bulk_create(
            [
                Person(
                    user=u,
                    enterprise=enterprises[i % len(enterprises)],
                    name=f"考生{offset + i}",
                    hire_date=dt.date(2020, 1, 1),
                    id_number=complete_id_number(
                        f"990199{(base + dt.timedelta(days=(offset + i) // 900)):%Y%m%d}{(offset + i) % 900 + 100:03d}"
                    ),
                )
                for i, u in enumerate(users)
            ]
        )
        tokens = [Token(user=u, key=secrets.token_hex(20)) for u in users]
        Token.objects.bulk_create(tokens)
        return [t.key for t in tokens]

    now = timezone.now()
    prod_tokens = people(n, 0)
    naive_tokens = people(naive_n, n)
    prod_people = Person.objects.filter(user__username__in=[f"bench{i}" for i in range(n)])
    naive_people = Person.objects.filter(user__username__in=[f"bench{i}" for i in range(n, n + naive_n)])
    window = {"closes_at": now + dt.timedelta(hours=3), "duration_minutes": 120, "grace_seconds": 30}
    prod = session_create(
        provider=provider, paper=paper, title="压测（生产路径）", opens_at=now + dt.timedelta(minutes=5), **window
    )
    prod.eligible_people.set(prod_people)
    naive = session_create(
        provider=provider, paper=paper, title="压测（朴素路径）", opens_at=now - dt.timedelta(minutes=1), **window
    )
    naive.eligible_people.set(naive_people)
    began = time.perf_counter()
    prepared = session_prepare(session=prod)
    prepare_seconds = time.perf_counter() - began
    connection.close()
    return {
        "prod": (prod.pk, prod_tokens),
        "naive": (naive.pk, naive_tokens),
        "prepared": prepared,
        "prepare_seconds": prepare_seconds,
    }


def open_window(session_id: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from exams.models import ExamSession

    ExamSession.objects.filter(pk=session_id).update(opens_at=timezone.now())
    connection.close()


def lost_answers(cohort: Cohort) -> tuple[int, int]:
    from django.db import connection

    from exams.models import Attempt, AttemptQuestion

    stored = {
        pk: (seq, given)
        for pk, seq, given in AttemptQuestion.objects.filter(pk__in=list(cohort.acked)).values_list(
            "pk", "client_seq", "given"
        )
    }
    lost = 0
    for pk, (seq, answer) in cohort.acked.items():
        row = stored.get(pk)
        if row is None or row[0] < seq or (row[0] == seq and row[1] != answer):
            lost += 1
    submitted = Attempt.objects.filter(pk__in=cohort.attempts, status=Attempt.Status.SUBMITTED).count()
    connection.close()
    return lost, submitted


def _answer_for(question: dict[str, Any], rng: random.Random) -> Any:
    kind = question["type"]
    if kind == "single":
        return rng.choice("ABCD"[: len(question["options"])])
    if kind == "multiple":
        return "".join(sorted(rng.sample("ABCD", rng.randint(1, 3))))
    if kind == "true_false":
        return rng.random() < 0.5
    return ["答案"] * int(question.get("blanks", 1))


async def examinee(
    http: Any, servers: list[str], cohort: Cohort, index: int, release: asyncio.Event, args: argparse.Namespace
) -> None:
    rng = random.Random(index)
    base = servers[index % len(servers)]
    headers = {"Authorization": f"Token {cohort.tokens[index]}"}
    await release.wait()

    async def call(kind: str, method: str, url: str, body: Any = None) -> Any:
        began = time.perf_counter()
        try:
            async with http.request(method, base + url, json=body, headers=headers) as response:
                data = await response.json(content_type=None)
                ok = response.status < 300
        except Exception as exc:  # noqa: BLE001 - counted as an error
            ok, data = False, {"detail": repr(exc)}
        cohort.latencies[kind].append(time.perf_counter() - began)
        cohort.timeline.append((kind, began - cohort.released_at, time.perf_counter() - began))
        if not ok:
            cohort.errors[kind] += 1
            if len(cohort.error_samples) < 5:
                cohort.error_samples.append(f"{kind}: {str(data)[:160]}")
            return None
        return data

    # The examinee has read the exam notice: a start without the confirmation is refused (400).
    paper = await call("start", "POST", cohort.start_path.format(session=cohort.session_id), {"confirm_notice": True})
    if paper is None:
        return
    attempt = paper["attempt_id"]
    cohort.attempts.append(attempt)
    device = paper.get("device")
    for question in [] if args.start_only else paper["questions"]:
        rounds = 2 if rng.random() < 0.1 else 1
        for seq in range(1, rounds + 1):
            await asyncio.sleep(rng.uniform(30, 90) / args.compress / rounds)
            answer = _answer_for(question, rng)
            body = {"answer": answer, "client_seq": seq}
            if device:
                body["device"] = device
            saved = await call(
                "autosave", "PUT", cohort.answer_path.format(attempt=attempt, question=question["id"]), body
            )
            if saved is not None:
                canonical = answer if not isinstance(answer, str) else "".join(sorted(answer))
                cohort.acked[question["id"]] = (seq, canonical)
    if args.start_only:
        return
    await asyncio.sleep(rng.uniform(5, 30) / args.compress)
    await call("submit", "POST", f"/api/v1/attempts/{attempt}/submit/", {"reason": "examinee"})


async def run_cohort(servers: list[str], cohort: Cohort, args: argparse.Namespace) -> float:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        release = asyncio.Event()
        tasks = [
            asyncio.create_task(examinee(http, servers, cohort, i, release, args)) for i in range(len(cohort.tokens))
        ]
        await asyncio.sleep(0.5)  # every examinee is waiting at the gate
        began = cohort.released_at = time.perf_counter()
        release.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - began


@contextmanager
def scaled_topology(
    bench_url: str, env: dict[str, str], *, workers: int, threads: int
) -> Iterator[tuple[list[subprocess.Popen[bytes]], list[str]]]:
    """``deploy/run-scaled.sh`` on the bench database (already migrated), serving this file's app
    (the real one plus the naive routes) from both gunicorn processes; stopped after."""
    import tempfile

    from tests.support.run_scaled import run_scaled

    passed = ("DEBUG", "SECURE_SSL_REDIRECT", "SECRET_KEY", "LOG_LEVEL", "TOKEN_RATE_LIMIT", "BENCH_EXAM_SERVER")
    with (
        run_scaled(
            bench_url,
            Path(tempfile.mkdtemp(prefix="bench-exam-scaled-")),  # kept: the processes' logs
            **{name: env[name] for name in passed},
            BENCH_TOPOLOGY="wsgi",
            BENCH_DB_POOL="0",
            GUNICORN_APP="bench.bench_exam:application",
            GUNICORN_WORKERS=str(workers),
            GUNICORN_THREADS=str(threads),
            CELERY_CONCURRENCY="2",
            MIGRATE="0",
            EXAMS_TICK_SECONDS="86400",
        ) as run,
    ):
        print(f"run-scaled: web {' '.join(run.web_urls)}, websockets on port {run.ws_port}; logs in {run.run_dir}")
        yield [run.process], run.web_urls


def start_servers(
    count: int, env: dict[str, str], log_dir: Path, *, topology: str = "asgi", threads: int = 4
) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """``asgi``: ``count`` daphne processes, one URL each (the clients spread over them).

    ``wsgi``: one gunicorn master with ``count`` gthread workers of ``threads`` threads,
    sharing one listening socket (config/gunicorn.py, as deployed; one URL).
    """
    if topology == "wsgi":
        port = free_port()
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "python:config.gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(count),
            "--threads",
            str(threads),
            "bench.bench_exam:application",
        ]
        return common.servers_start([(port, command)], env=env, logs=[log_dir / "bench-exam-gunicorn.log"])
    ports = [free_port() for _ in range(count)]
    return common.servers_start(
        [(port, common.daphne(port, "bench.bench_exam:application")) for port in ports],
        env=env,
        logs=[log_dir / f"bench-exam-daphne-{i}.log" for i in range(count)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="examinees released at once (production path)")
    parser.add_argument("--naive-n", type=int, default=500, help="examinees on the naive baseline path")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument(
        "--topology",
        choices=("asgi", "wsgi", "scaled"),
        default="asgi",
        help="asgi: HTTP in daphne processes (config.asgi); wsgi: HTTP in gunicorn gthread workers (config.gunicorn); "
        "scaled: deploy/run-scaled.sh, two gunicorn processes + daphne + Celery worker and beat",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=4,
        help="daphne processes (asgi) or gunicorn workers (wsgi; scaled: in all, split over its two processes)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (wsgi)")
    parser.add_argument("--compress", type=float, default=4.0, help="think time 30-90 s divided by this")
    parser.add_argument("--timeline", action="store_true", help="latency per 30 s of the run, per operation")
    parser.add_argument(
        "--start-only", action="store_true", help="start only: no answers, no submit (to study the start burst alone)"
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=None,
        help="PostgreSQL pool size per server process (0: none, each thread keeps its connection); "
        "default 8 for asgi, 0 for wsgi",
    )
    parser.add_argument("--window", type=int, default=30, help="seconds per --timeline row")
    args = parser.parse_args()
    if args.pool is None:
        args.pool = 8 if args.topology == "asgi" else 0
    if args.topology == "scaled" and (args.pool or args.servers < 2 or not os.environ.get("REDIS_URL")):
        parser.error(
            "--topology scaled: gunicorn threads keep their connections (--pool 0), --servers >= 2, and REDIS_URL "
            "(channel layer, cache and Celery broker of the topology)"
        )

    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the benchmark creates and drops its own database).")
    common.open_files_raise()
    name = urlsplit(admin_url).path.lstrip("/") + "_bench_exam"
    bench_url = common.database_create(admin_url, name)
    env = common.server_env(
        bench_url,
        "bench-exam",
        BENCH_EXAM_SERVER="1",
        TOKEN_RATE_LIMIT="100000/min",
        BENCH_DB_POOL=str(args.pool),
        BENCH_TOPOLOGY=args.topology,
        # The deadline job would prepare the naive cohort's papers too; nobody is overdue here.
        EXAMS_SCHEDULER="off",
    )
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY")})
    processes: list[subprocess.Popen[bytes]] = []
    topology = ExitStack()
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env={k: v for k, v in env.items() if k != "BENCH_EXAM_SERVER"},
            check=True,
        )
        data = setup_data(args.n, args.naive_n, args.questions)
        print(
            f"prepared {data['prepared']} papers of {args.questions} questions in {data['prepare_seconds']:.1f} s "
            "(before the window opens)"
        )
        log_dir = Path(os.environ.get("TMPDIR", "/tmp"))
        if args.topology == "scaled":
            sampled, servers = topology.enter_context(
                scaled_topology(bench_url, env, workers=args.servers // 2, threads=args.threads)
            )
        else:
            processes, servers = start_servers(args.servers, env, log_dir, topology=args.topology, threads=args.threads)
            sampled = processes
        prod = Cohort(
            "production",
            *data["prod"],
            "/api/v1/exams/{session}/attempts/",
            "/api/v1/attempts/{attempt}/answers/{question}/",
        )
        naive = Cohort(
            "naive baseline",
            *data["naive"],
            "/bench-naive/exams/{session}/attempts/",
            "/bench-naive/attempts/{attempt}/answers/{question}/",
        )
        results = []
        for cohort in (prod, naive):
            if not cohort.tokens:
                continue
            if cohort is prod:
                open_window(cohort.session_id)
            cpu0, busy0 = resource.getrusage(resource.RUSAGE_SELF), common.cpu_busy()
            with CpuSampler([p.pid for p in sampled]) as sampler:
                wall = asyncio.run(run_cohort(servers, cohort, args))
            cohort.cpu = sampler
            cpu1, busy1 = resource.getrusage(resource.RUSAGE_SELF), common.cpu_busy()
            generator_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            machine_busy = (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1)
            lost, submitted = lost_answers(cohort)
            results.append((cohort, wall, generator_cpu, machine_busy, lost, submitted))
    finally:
        common.processes_stop(processes)
        topology.close()
        common.database_drop(admin_url, name)

    cores = os.cpu_count() or 1
    shape = {
        "asgi": f"{args.servers} daphne processes",
        "wsgi": f"gunicorn: {args.servers} gthread workers x {args.threads} threads",
        "scaled": f"run-scaled: 2 gunicorn processes x {args.servers // 2} gthread workers x {args.threads} threads "
        "+ daphne (/ws/) + Celery worker (2) and beat",
    }[args.topology]
    pool = f"PostgreSQL pool {args.pool} each" if args.pool else "each thread keeps its PostgreSQL connection"
    print(
        f"\n{shape} ({pool}), {cores} cores; think time 30-90 s / {args.compress:g} "
        f"(time compression x{args.compress:g}); {args.questions} questions; 10% of answers changed once"
    )
    header = (
        f"{'cohort':<16}{'N':>6}{'op':>10}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for cohort, _wall, _cpu, _busy, _lost, _submitted in results:
        for op in ("start", "autosave", "submit"):
            values = cohort.latencies[op]
            print(
                f"{cohort.name:<16}{len(cohort.tokens):>6}{op:>10}{len(values):>8}{common.pct(values, 50):>9.0f}"
                f"{common.pct(values, 95):>9.0f}{common.pct(values, 99):>9.0f}{(max(values) * 1000 if values else 0):>9.0f}"
                f"{cohort.errors[op]:>8}"
            )
    print()
    for cohort, wall, cpu, busy, lost, submitted in results:
        print(
            f"{cohort.name}: wall {wall:.1f} s; answers acknowledged {len(cohort.acked)}, lost {lost}; "
            f"attempts submitted {submitted}/{len(cohort.tokens)}; load generator CPU {cpu:.1f} s = "
            f"{cpu / wall * 100:.0f}% of one core ({cpu / wall / cores * 100:.0f}% of the machine); "
            f"machine busy {busy * 100:.0f}%"
        )
        requests = sum(len(v) for v in cohort.latencies.values())
        print(
            f"  server CPU {cohort.cpu.server_cpu:.1f} s for {requests} requests = "
            f"{cohort.cpu.server_cpu / max(requests, 1) * 1000:.2f} ms per request (all processes, less load-sensitive "
            "than latency on a shared host)"
        )
        for sample in cohort.error_samples:
            print(f"  error sample: {sample}")
        if args.timeline:
            step = args.window
            buckets: dict[tuple[int, str], list[float]] = {}
            for op, at, latency in cohort.timeline:
                buckets.setdefault((int(at // step), op), []).append(latency)
            print(
                f"  {'sent at s':>11} {'op':>8} {'count':>6} {'p50':>7} {'p95':>7} {'p99 ms':>7}   CPU: servers postgres generator"
            )
            last = None
            for (bucket, op), values in sorted(buckets.items()):
                cpu = ""
                if bucket != last:
                    servers_cpu, pg_cpu, gen_cpu = cohort.cpu.window(
                        cohort.released_at, bucket * step, bucket * step + step
                    )
                    cpu = f"   {servers_cpu * 100:5.0f}% {pg_cpu * 100:6.0f}% {gen_cpu * 100:6.0f}%"
                    last = bucket
                print(
                    f"  {bucket * step:>5}-{bucket * step + step:<5} {op:>8} {len(values):>6} "
                    f"{common.pct(values, 50):7.0f} {common.pct(values, 95):7.0f} {common.pct(values, 99):7.0f}{cpu}"
                )
    if len(results) == 2:
        prod_r, naive_r = results[0][0], results[1][0]
        for op in ("start", "autosave"):
            a, b = common.pct(prod_r.latencies[op], 95), common.pct(naive_r.latencies[op], 95)
            print(f"p95 {op}: naive / production = {b / a:.1f}x" if a else "")


if __name__ == "__main__":
    main()
