"""``import_data training``: 100k classroom-training rows, production path against a naive baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_import_data.py
    ... bench/bench_import_data.py --rows 100000 --people 20000 --baseline-rows 2000

The bench makes its own PostgreSQL database ``safetrain_bench_imp_<pid>`` on the
server of ``DATABASE_URL`` (migrated, then dropped at the end; SQLite when
``DATABASE_URL`` is not a PostgreSQL URL, in a temporary file).

Data: one district with a street, 50 enterprises (a fifth of them high-risk),
``--people`` employees with an employment each (bulk inserted), and a file of
``--rows`` training rows (身份证号, 统一社会信用代码, 培训类别, 学时, 培训日期,
考核结果) written as csv and as xlsx.

Production: ``core.tabular.run_import_bytes`` with the ``training`` kind: the
checks of the upload, calamine or csv reading, per-cell parsing, lookups of
2,000 keys per query into dicts and sets, one ``bulk_create`` in one
transaction. Timed for the csv, for the same csv again (every row found
already: nothing written) and for the xlsx (under another name: new entries).

Baseline (what a first implementation does): the same parsed rows, then per
row ``Person.objects.get``, ``Enterprise.objects.get``, an ``exists()`` for the
employment and one for an earlier import, and ``CreditLedger.objects.create``
in autocommit. It runs on the first ``--baseline-rows`` rows and its time is
extrapolated linearly to ``--rows`` (the output says so).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

HEADER = ["身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期", "考核结果"]


def _database(url: str) -> tuple[str, str | None]:
    """The URL the bench runs on, and the name of a PostgreSQL database to drop afterwards."""
    if not url.startswith("postgres"):
        return f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3", None
    import psycopg

    name = f"safetrain_bench_imp_{os.getpid()}"
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlparse(url)._replace(path=f"/{name}").geturl(), name


def _admin(url: str) -> str:
    """The server's maintenance database: DATABASE_URL's own database need not exist."""
    return urlparse(url)._replace(path="/postgres").geturl()


def _drop(url: str, name: str | None) -> None:
    if name is None:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _world(people: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Enterprises and people, bulk inserted; returns credit codes and (ID number, credit code) pairs."""
    from accounts.models import User
    from organizations.models import BEGINNING, Employment, Enterprise, EnterpriseStatus, Industry, Jurisdiction, Person
    from organizations.validators import complete_credit_code, complete_id_number

    district = Jurisdiction(code="990101", name="基准区", kind=Jurisdiction.Kind.DISTRICT)
    district.save()
    street = Jurisdiction(code="990101001", name="基准街道", kind=Jurisdiction.Kind.STREET, parent=district)
    street.save()
    risky, plain = Industry.objects.get(code="hazardous_chemicals"), Industry.objects.get(code="machinery")
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"基准企业{i}",
            credit_code=complete_credit_code(f"91990101MA{i:07d}"),
            industry=risky if i % 5 == 0 else plain,
            above_scale=True,
            jurisdiction=street,
        )
        for i in range(50)
    )
    EnterpriseStatus.objects.bulk_create(
        EnterpriseStatus(enterprise=e, valid_from=BEGINNING, industry=e.industry, above_scale=True, jurisdiction=street)
        for e in enterprises
    )
    users = User.objects.bulk_create(
        (User(username=f"bench{i}", password="!", display_name=f"员工{i}") for i in range(people)), batch_size=5000
    )
    births = [dt.date(1970, 1, 1) + dt.timedelta(days=d) for d in range(people // 900 + 1)]
    persons = Person.objects.bulk_create(
        (
            Person(
                user=u,
                enterprise=enterprises[i % 50],
                name=f"员工{i}",
                hire_date=dt.date(2025, 1, 1),
                id_number=complete_id_number(f"990101{births[i // 900]:%Y%m%d}{i % 900:03d}"),
            )
            for i, u in enumerate(users)
        ),
        batch_size=5000,
    )
    Employment.objects.bulk_create(
        (Employment(person=p, enterprise=p.enterprise, post=p.post, start_date=p.hire_date) for p in persons),
        batch_size=5000,
    )
    codes = {e.pk: e.credit_code for e in enterprises}
    return list(codes.values()), [(p.id_number, codes[p.enterprise_id]) for p in persons]


def _rows(n: int, people: list[tuple[str, str]]) -> list[list[object]]:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        number, code = people[i % len(people)]
        # A person's k-th row is on their k-th date: no two rows of the file are the same training.
        day = dt.date(2024, 1, 1) + dt.timedelta(days=(i // len(people)) * 37 + i % len(people) % 30)
        purpose = "岗前" if rng.random() < 0.6 else "年度再培训"
        rows.append(
            [
                number,
                code,
                purpose,
                rng.choice(["4", "8", "1.5", "24"]),
                day.isoformat(),
                rng.choice(["合格", "合格", "不合格", ""]),
            ]
        )
    return rows


def _write(rows: list[list[object]], directory: Path) -> dict[str, Path]:
    paths = {"csv": directory / "training.csv", "xlsx": directory / "training.xlsx"}
    common.sheet_files_write(HEADER, rows, sheet="培训记录", **paths)
    return paths


def _baseline(rows: list[list[object]]) -> float:
    """Row by row, autocommit: a lookup per key and one INSERT per row."""
    from django.conf import settings
    from django.utils import timezone

    from core.tabular import parse_date, parse_positive_decimal
    from organizations.models import Employment, Enterprise, Person
    from training.models import CreditLedger

    purposes = {"岗前": "onboarding", "年度再培训": "annual"}
    start = time.perf_counter()
    cpu = time.process_time()
    for number, (id_number, code, purpose, hours, day, passed) in enumerate(rows, start=2):
        person = Person.objects.select_related("user").get(id_number=id_number)
        enterprise = Enterprise.objects.get(credit_code=code)
        if not Employment.objects.filter(person=person, enterprise=enterprise).exists():
            raise AssertionError(number)
        seconds = int(parse_positive_decimal(hours) * settings.MINUTES_PER_CREDIT_HOUR * 60)
        started = timezone.make_aware(dt.datetime.combine(parse_date(day), dt.time(0)))
        source = f"baseline.csv row {number}"
        if CreditLedger.objects.filter(
            learner=person.user, enterprise=enterprise, purpose=purposes[purpose], started_at=started, seconds=seconds
        ).exists():
            continue
        CreditLedger.objects.create(
            learner=person.user,
            started_at=started,
            ended_at=started + dt.timedelta(seconds=seconds),
            seconds=seconds,
            method=CreditLedger.Method.IMPORT,
            enterprise=enterprise,
            purpose=purposes[purpose],
            assessment_passed={"合格": True, "不合格": False}.get(passed),  # type: ignore[call-overload]
            source=source,
        )
    print(f"baseline CPU of this process: {time.process_time() - cpu:.2f} s")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the first production import (top 25 by own time)."
    )
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "")
    url, dropped = _database(server)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(16).hex())
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from core import tabular
        from training.models import CreditLedger

        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"database: {'PostgreSQL' if dropped else 'SQLite'}; migrated in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        _codes, people = _world(args.people)
        rows = _rows(args.rows, people)
        with tempfile.TemporaryDirectory() as tmp:
            files = _write(rows, Path(tmp))
            sizes = {k: p.stat().st_size / 1e6 for k, p in files.items()}
            print(
                f"data: {args.people:,} people, 50 enterprises, {args.rows:,} rows "
                f"(csv {sizes['csv']:.1f} MB, xlsx {sizes['xlsx']:.1f} MB) in {time.perf_counter() - t:.1f} s"
            )
            kind = tabular.kind_get("training")
            assert kind is not None
            timings = {}
            for label, path, name in (
                ("csv", files["csv"], "training.csv"),
                ("csv again (all unchanged)", files["csv"], "training.csv"),
                ("xlsx (another name)", files["xlsx"], "training-2.xlsx"),
            ):
                profiler = None
                if args.profile and not timings:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                t, cpu = time.perf_counter(), time.process_time()
                result = tabular.run_import_bytes(kind=kind, data=path.read_bytes(), name=name, user=None)
                timings[label] = time.perf_counter() - t
                cpu = time.process_time() - cpu
                if profiler is not None:
                    import pstats

                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
                assert not result.errors, result.errors[:3]
                print(
                    f"production {label:28s} {timings[label]:7.2f} s wall, {cpu:6.2f} s CPU of this process  "
                    f"created {result.created:,}, unchanged {result.unchanged:,}"
                )
        assert CreditLedger.objects.count() == 2 * args.rows
        n = min(args.baseline_rows, args.rows)
        naive = _baseline(rows[:n])
        projected = naive * args.rows / n
        print(
            f"baseline (row by row)  {n:,} rows in {naive:.2f} s; extrapolated to {args.rows:,} rows: {projected:.1f} s"
        )
        print(f"ratio baseline/production (csv): {projected / timings['csv']:.1f}x")
        print(
            f"target: {args.rows:,} rows under 30 s: {'met' if timings['csv'] < 30 and timings['xlsx (another name)'] < 30 else 'NOT met'}"
        )
    finally:
        _drop(server, dropped)


if __name__ == "__main__":
    main()
