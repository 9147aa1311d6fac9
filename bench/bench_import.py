"""Question import: the naive baseline against the production path, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py                      # 10k and 100k, xlsx and csv, both databases
    .venv/bin/python bench/bench_import.py --sizes 10000 --db sqlite
    .venv/bin/python bench/bench_import.py --layouts one-cell --formats xlsx --db sqlite
    .venv/bin/python bench/bench_import.py --sizes 100000 --formats docx   # a Word bank of 100k questions

Data: generated banks of N questions (all four types, 30 % long stems) written
as xlsx and csv into a temporary directory, in two layouts: ``columns`` (the
template: one column per option) and ``one-cell`` (what other systems export:
all the options in one 选项 cell, “A.… B.… C.… D.…”, true/false questions with
“A.正确 B.错误” answered by letter, titles 题目/正确答案/答案解析/难度等级).
For ``docx`` the template layout's questions are written in the numbered Word layout (一、单选题 … / ``1. stem`` / ``A. x  B. y`` / ``答案：A`` /
``解析：…``, one paragraph a line), written straight into a python-docx package.

Word baseline: python-docx ``Document`` and ``paragraph.text`` for every
paragraph (the whole tree in memory), the same line grouping and validation,
then the same per-row writes as below. Word production: ``importers.read_file``
(``core.uploads.check_docx``, then ``lxml.iterparse`` over the document part).

Baseline: pandas ``read_excel(engine="openpyxl")`` / ``read_csv``, the same
row validation, then for every row a lookup by fingerprint and
``Question.objects.create`` (autocommit, one INSERT per row). Production:
``core.uploads.check_spreadsheet`` + pandas/python-calamine parse, validation,
and ``services.import_parsed`` (batched lookups, ``bulk_create`` in one
transaction).

Every run happens in its own subprocess (so peak RSS belongs to that run) on a
database the bench makes for itself: a temporary SQLite file, or a PostgreSQL
database ``safetrain_bench_<pid>`` created on the server of ``DATABASE_URL``
(default ``postgres://postgres@127.0.0.1:5432/test``) and dropped afterwards.
db.sqlite3 is never touched. For large files the baseline's write stage runs on
the first ``--baseline-rows`` questions and its time is extrapolated (said so
in the output).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.children import child_env, child_result  # noqa: E402
from tests.support.questions import sheet_header  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"

TOPICS = ["危险化学品储存", "动火作业", "受限空间", "消防器材", "安全生产法", "应急救援", "高处作业", "临时用电"]
LONG_TEXT = (
    "某化工企业在检修期间，作业人员未按规定办理作业许可证，也未进行气体检测和安全交底，"
    "在储罐内进行清理作业时发生中毒窒息事故，造成人员伤亡和较大经济损失。请结合相关法律法规和操作规程分析："
)


# --- data ----------------------------------------------------------------------


def generate(n: int, seed: int = 7, layout: str = "columns") -> list[list[object]]:
    rows = _generate(n, seed)
    if layout == "columns":
        return rows
    one_cell = []
    for number, qtype, stem, *rest in rows:
        options, answer, tail = rest[:8], rest[8], rest[9:]
        if qtype == "判断题":
            cell, answer = "A.正确 B.错误", "A" if answer in ("正确", "√") else "B"
        else:
            cell = " ".join(f"{letter}.{text}" for letter, text in zip("ABCDEFGH", options, strict=True) if text)
        one_cell.append([number, qtype, stem, cell, answer, *tail])
    return one_cell


def _generate(n: int, seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        long = rng.random() < 0.3
        stem = (LONG_TEXT * rng.randint(1, 3) if long else "") + f"关于{topic}的第{i + 1}题：下列说法正确的是？"
        kind = i % 10
        options = [f"{topic}选项{c}{i}" for c in "ABCD"]
        if kind < 4:
            row = ["单选题", stem, *options, "", "", "", "", "ABCD"[i % 4]]
        elif kind < 7:
            row = ["多选题", stem, *options, "", "", "", "", ["AB", "A、C", "bcd", "A，B，D"][i % 4]]
        elif kind < 9:
            row = ["判断题", stem, "", "", "", "", "", "", "", "", ["正确", "错", "√", "F"][i % 4]]
        else:
            row = ["填空题", stem.replace("下列说法正确的是？", "____和____"), *[""] * 8, f"{i}|答案/回答"]
        rows.append(
            [i + 1, *row, f"第{i}题解析：依据{topic}相关规定。", 1 + i % 5, topic, "危险化学品、建筑施工", "全员"]
        )
    return rows


HEADER = sheet_header("ABCDEFGH")
ONE_CELL_HEADER = ["序号", "题型", "题目", "选项", "正确答案", "答案解析", "难度等级", "知识点分类", "行业", "适用岗位"]


def write_docx(rows: list[list[object]], path: Path) -> None:
    """The rows as a numbered Word bank: sections by type, one paragraph per line."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    import docx

    sections = {"单选题": [], "多选题": [], "判断题": [], "填空题": []}  # type: ignore[var-annotated]
    for row in rows:
        sections[str(row[1])].append(row)
    body: list[str] = []

    def para(text: str) -> None:
        body.append(f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')

    for heading, (title, items) in zip("一二三四", sections.items(), strict=True):
        para(f"{heading}、{title}")
        for number, row in enumerate(items, start=1):
            para(f"{number}. {row[2]}")
            options = [str(o) for o in row[3:11] if o]
            for i in range(0, len(options), 2):
                para("  ".join(f"{'ABCDEFGH'[i + j]}. {text}" for j, text in enumerate(options[i : i + 2])))
            para(f"答案：{row[11]}")
            para(f"解析：{row[12]}")
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(template)
    xml = source.read("word/document.xml").decode()
    start, end = xml.index("<w:body>") + len("<w:body>"), xml.index("<w:sectPr")
    xml = xml[:start] + "".join(body) + xml[end:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, xml if info.filename == "word/document.xml" else source.read(info))


def write_files(
    n: int, directory: Path, layout: str = "columns", formats: tuple[str, ...] = ("xlsx", "csv")
) -> dict[str, Path]:
    rows = generate(n, layout=layout)
    files: dict[str, Path] = {}
    if "docx" in formats and layout == "columns":  # the Word layout is written from the template's rows
        files["docx"] = directory / f"bank_{n}.docx"
        write_docx(rows, files["docx"])
    if not {"xlsx", "csv"} & set(formats):
        return files
    paths = {"xlsx": directory / f"bank_{layout}_{n}.xlsx", "csv": directory / f"bank_{layout}_{n}.csv"}
    common.sheet_files_write(HEADER if layout == "columns" else ONE_CELL_HEADER, rows, sheet="题库", **paths)
    return {**files, **paths}


# --- measurement ---------------------------------------------------------------


class RssSampler(threading.Thread):
    """Samples this process's RSS every few ms and keeps the peak per stage."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stage = "setup"
        self.peaks: dict[str, int] = {}
        self.running = True

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while self.running:
            value = self.rss()
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), value)
            time.sleep(0.005)

    def enter(self, stage: str) -> None:
        value = self.rss()
        self.stage = stage
        self.peaks[stage] = max(self.peaks.get(stage, 0), value)


def worker(mode: str, path: Path, baseline_rows: int) -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from question_bank import importers, services
    from question_bank.models import Bank, Question

    bank = Bank.objects.create(code=f"bench-{mode}-{path.stem}", name="bench")
    sampler = RssSampler()
    sampler.start()
    stages: dict[str, dict[str, float]] = {}
    data = path.read_bytes()

    def timed(stage: str, fn):  # type: ignore[no-untyped-def]
        sampler.enter(stage)
        start = time.perf_counter()
        value = fn()
        stages[stage] = {"seconds": time.perf_counter() - start}
        return value

    note = ""
    if mode == "production":
        from core.uploads import check_spreadsheet

        if path.suffix == ".docx":
            table = timed("parse", lambda: importers.read_file(data, path.name))
        else:
            table = timed("parse", lambda: importers.read_spreadsheet(check_spreadsheet(data, path.name)))
        parsed = timed("validate", lambda: importers.validate(table))
        del table
        result = timed("write", lambda: services.import_parsed(bank=bank, parsed=parsed, source=path.name))
        assert result.created == len(parsed.questions), result.counts
    else:
        import io

        import pandas as pd

        def parse() -> importers.RawTable:
            if path.suffix == ".docx":
                import docx

                from question_bank import text_formats

                document = docx.Document(io.BytesIO(data))
                lines = [text_formats.Line(i, p.text) for i, p in enumerate(document.paragraphs, start=1)]
                return text_formats.parse_lines(lines, source=path.name)
            if path.suffix == ".xlsx":
                frame = pd.read_excel(
                    io.BytesIO(data), engine="openpyxl", header=None, dtype=str, keep_default_na=False
                )
            else:
                frame = pd.read_csv(
                    io.BytesIO(data), header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig"
                )
            return importers.rows_to_table(frame.values.tolist(), source=path.name)

        table = timed("parse", parse)
        parsed = timed("validate", lambda: importers.validate(table))
        subset = parsed.questions[:baseline_rows]

        def write() -> None:
            for q in subset:
                if Question.objects.filter(bank=bank, fingerprint=q.fingerprint).exists():
                    continue
                services.question_build(bank=bank, clean=q, source=path.name).save()

        timed("write", write)
        if len(subset) < len(parsed.questions):
            factor = len(parsed.questions) / len(subset)
            stages["write"]["seconds"] *= factor
            note = f"write measured on {len(subset)} rows and extrapolated ×{factor:.1f}"
    sampler.enter("done")
    sampler.running = False
    rows = parsed.rows
    for stage, info in stages.items():
        info["rows_per_s"] = rows / info["seconds"] if info["seconds"] else float("inf")
        info["peak_rss_mb"] = sampler.peaks.get(stage, 0) / 1_048_576
    total = sum(s["seconds"] for s in stages.values())
    return {
        "rows": rows,
        "stages": stages,
        "total_seconds": total,
        "peak_rss_mb": max(sampler.peaks.values()) / 1_048_576,
        "note": note,
    }


# --- orchestration -------------------------------------------------------------


def _pg_admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def run_one(db: str, mode: str, path: Path, workdir: Path, baseline_rows: int, pg_url: str) -> dict[str, object]:
    env = child_env()  # production settings (no query log) for both paths alike
    dbname = None
    if db == "sqlite":
        sqlite_file = workdir / f"{mode}-{path.name}.sqlite3"
        sqlite_file.unlink(missing_ok=True)
        env["SQLITE_PATH"] = str(sqlite_file)
    else:
        dbname = f"safetrain_bench_{os.getpid()}"
        with _pg_admin(pg_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + "/" + dbname
    try:
        args = ["--worker", mode, str(path), "--baseline-rows", str(baseline_rows)]
        return child_result(__file__, args, env, f"worker ({db} {mode} {path.name})")
    finally:
        if dbname:
            with _pg_admin(pg_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--layouts", default="columns,one-cell", help="columns (the template) and/or one-cell")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--baseline-rows", type=int, default=10000, help="cap on rows the baseline writes")
    parser.add_argument("--paths", default="baseline,production", help="which paths to run (ratio needs both)")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]), args.baseline_rows)), flush=True)
        # An import of a bank over QUESTION_BANK_SIBLING_AUTO_SCAN_MAX questions queues its sibling scan
        # in the background (a thread here, Celery when scaled): not part of the import's time, and for a
        # generated 100k bank longer than the whole bench. The worker leaves without waiting for it.
        os._exit(0)

    pg_url = os.environ.get("DATABASE_URL") or DEFAULT_PG
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")
    dbs = args.db.split(",")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; baseline write capped at {args.baseline_rows} rows")
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        workdir = Path(tmp)
        for n in sizes:
            for layout in args.layouts.split(","):
                start = time.perf_counter()
                files = write_files(n, workdir, layout, tuple(formats))
                if not files:  # docx is written in the template layout only
                    continue
                print(
                    f"\ngenerated {n} questions ({layout}) in {time.perf_counter() - start:.1f}s: "
                    + ", ".join(f"{p.name} {p.stat().st_size / 1_048_576:.1f} MB" for p in files.values())
                )
                for fmt in [f for f in formats if f in files]:
                    for db in dbs:
                        results = {
                            mode: run_one(db, mode, files[fmt], workdir, args.baseline_rows, pg_url)
                            for mode in args.paths.split(",")
                        }
                        report(n, f"{fmt} {layout}", db, results)


def report(n: int, fmt: str, db: str, results: dict[str, dict]) -> None:  # type: ignore[type-arg]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n== {n} rows · {fmt} · {db} ==  (load average {load} on {os.cpu_count()} CPUs)")
    print(f"{'path':<11}{'stage':<10}{'seconds':>9}{'rows/s':>11}{'peak RSS MB':>13}")
    for mode, result in results.items():
        for stage, info in result["stages"].items():
            print(
                f"{mode:<11}{stage:<10}{info['seconds']:>9.2f}{info['rows_per_s']:>11.0f}{info['peak_rss_mb']:>13.0f}"
            )
        print(
            f"{mode:<11}{'total':<10}{result['total_seconds']:>9.2f}"
            f"{result['rows'] / result['total_seconds']:>11.0f}{result['peak_rss_mb']:>13.0f}"
            + (f"   ({result['note']})" if result["note"] else "")
        )
    if set(results) != {"baseline", "production"}:
        return
    base, prod = results["baseline"], results["production"]
    ratio = base["total_seconds"] / prod["total_seconds"]
    per_stage = ", ".join(
        f"{stage} ×{base['stages'][stage]['seconds'] / prod['stages'][stage]['seconds']:.1f}"
        for stage in prod["stages"]
    )
    target = ""
    if n >= 100_000 and fmt.split()[0] in ("xlsx", "docx"):
        ok = prod["total_seconds"] < 30 and ratio >= 10 and prod["peak_rss_mb"] < 1024
        target = f"  target (<30 s, ≥10×, <1 GiB): {'MET' if ok else 'NOT MET'}"
    print(f"production is ×{ratio:.1f} faster than the baseline ({per_stage}).{target}")


if __name__ == "__main__":
    main()
