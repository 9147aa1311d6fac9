"""Browser tests: a real ASGI server (daphne) and headless Chromium.

Fixtures for every helper's browser tests (mark them ``@pytest.mark.browser``):

``live_server_url`` (session)
    Starts ``daphne config.asgi:application`` on a free 127.0.0.1 port in a
    subprocess, against its OWN database, migrated and loaded with
    ``seed_demo`` first (so the README's demo accounts exist, password
    ``demo-pass-2026``). On the embedded default that is a temporary SQLite
    file (``SQLITE_PATH``); on the PostgreSQL pass (``DATABASE_URL`` set) a
    separate database ``safetrain_browser_<pid>`` is created and dropped
    afterwards. ``REDIS_URL`` is passed through, so the server uses Redis when
    the suite does. The server runs no periodic jobs (``PERIODIC_JOBS=off``):
    a test that needs a tick runs it (``run_manage("proctoring_tick")``).
    Returns e.g. ``"http://127.0.0.1:54321"``.
    The server's database is NOT the pytest-django test database: create extra
    data through the UI or with ``run_manage(...)``.

``run_manage`` (session)
    ``run_manage("shell", "-c", "...")`` runs manage.py against the server's
    database and returns the CompletedProcess.

``browser`` (session) / ``page`` (function)
    Chromium from /usr/bin/chromium via Playwright. ``page`` is a fresh context
    at 390×844 (phone) whose requests are recorded in ``page.requests_seen``.
    ``new_page(width, height)`` (function) makes pages of other sizes.

``fake_camera_page(y4m_file)`` (module)
    A phone-sized page (zh-CN, camera permission granted) in a Chromium of
    its own, launched with ``--use-file-for-fake-video-capture=y4m_file``:
    ``getUserMedia`` streams the file's frames, looping (tests.support.y4m).

``login(page, username)`` helper: signs in through the real login form.

``shell_json(run_manage, code)`` helper: runs ``code`` in ``manage.py shell``
against the server's database and parses the JSON its last line printed;
``session_json(run_manage, script, session)`` the same for a script about one
exam session, and ``DEMO_EXAM_SCRIPT`` the start of a setup script.

``SCREENSHOTS``
    Where tests save screenshots: ``var/screenshots/`` (git-ignored), so a test
    run never changes a tracked file. ``make screenshots`` copies them into
    ``docs/screenshots/``; the session fails if a test wrote into ``docs/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.servers import ROOT, daphne_server, free_port

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "demo-pass-2026"
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ROOT / "var" / "screenshots"
# The start of a setup script for ``shell_json``: the demo learner, the demo centre's rules paper, now, and
# ``demo_session``: a session of that paper for one person, open since a minute ago (pass mark 10).
DEMO_EXAM_SCRIPT = """
import datetime as dt, json
from decimal import Decimal
from django.utils import timezone
from exams.models import PaperTemplate
from exams.services.sessions import session_create, session_prepare
from organizations.models import Person
learner = Person.objects.get(user__username="demo_learner")
paper = PaperTemplate.objects.filter(provider__code="demo-center", kind="rules").order_by("pk").first()
now = timezone.now()
def demo_session(title, person, *, opens_ago=dt.timedelta(minutes=1), closes_in=dt.timedelta(hours=2), **fields):
    return session_create(provider=paper.provider, paper=paper, title=title, opens_at=now - opens_ago,
        closes_at=now + closes_in, pass_score=Decimal("10"), eligible_people=[person], **fields)
"""
DOCS = ROOT / "docs"


def _docs_state() -> dict[str, tuple[int, int]]:
    return {str(f.relative_to(DOCS)): (f.stat().st_size, f.stat().st_mtime_ns) for f in DOCS.rglob("*") if f.is_file()}


@pytest.fixture(scope="session", autouse=True)
def _docs_stay_untouched() -> Iterator[None]:
    """Fail the run if a browser test wrote into the tracked docs/ folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = _docs_state()
    yield
    after = _docs_state()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if changed:
        pytest.fail(
            f"browser tests wrote into docs/ (save screenshots under SCREENSHOTS = var/screenshots/): {changed}"
        )


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _psql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Holds the server's SQLite file and its log (daphne-PORT.log)."""
    return tmp_path_factory.mktemp("browser-server")


@pytest.fixture(scope="session")
def server_env(server_dir: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", PYTHONUNBUFFERED="1")
    # The tests drive the periodic jobs themselves (manage.py proctoring_tick, exams_tick): a
    # server's own tick, every 15 s, would race them (flag a snapshot gap before the test's tick
    # does). A server that a test wants ticking turns it on (test_exam_page's deadline server).
    env["PERIODIC_JOBS"] = "off"
    env.pop("EXAMS_SCHEDULER", None)
    admin_url = os.environ.get("DATABASE_URL")
    database = None
    if admin_url and not admin_url.startswith("sqlite"):
        database = f"safetrain_browser_{os.getpid()}"
        _psql(admin_url, f'DROP DATABASE IF EXISTS "{database}"')
        _psql(admin_url, f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = _with_database(admin_url, database)
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(server_dir / "browser.sqlite3")
    if os.environ.get("REDIS_URL"):
        # Own key prefix: the server's cache and channel names never meet the test run's.
        env["REDIS_PREFIX"] = f"browser-{uuid.uuid4().hex[:8]}"
    try:
        yield env
    finally:
        if database:
            _psql(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def run_manage(server_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=server_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    return run


@pytest.fixture(scope="session")
def live_server_url(server_env: dict[str, str], server_dir: Path, run_manage: Callable[..., Any]) -> Iterator[str]:
    run_manage("migrate", "--noinput")
    run_manage("seed_demo")
    run_manage("compilemessages", "--ignore=.venv")
    port = free_port()
    with daphne_server(port=port, env=server_env, log=server_dir / f"daphne-{port}.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def fake_camera_page(browser: Any) -> Iterator[Callable[[Path], Any]]:
    launched: list[Any] = []

    def make(y4m_file: Path) -> Any:
        instance = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={y4m_file}",
            ],
        )
        launched.append(instance)
        context = instance.new_context(viewport=PHONE, locale="zh-CN")
        context.grant_permissions(["camera"])
        return context.new_page()

    yield make
    for instance in launched:
        instance.close()


@pytest.fixture
def new_page(browser: Any, live_server_url: str) -> Iterator[Callable[..., Any]]:
    contexts = []

    def make(width: int = PHONE["width"], height: int = PHONE["height"], locale: str = "zh-CN") -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.requests_seen = []
        page.on("request", lambda request: page.requests_seen.append(request.url))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


def login(page: Any, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill('input[name="login"]', username)
    page.fill('input[name="password"]', password)
    page.click('form button[type="submit"]')
    page.wait_for_load_state()


def shell_json(run_manage: Callable[..., subprocess.CompletedProcess[str]], code: str) -> Any:
    return json.loads(run_manage("shell", "-c", code).stdout.strip().splitlines()[-1])


def session_json(run_manage: Callable[..., subprocess.CompletedProcess[str]], script: str, session: int) -> Any:
    """``shell_json`` of a script about one exam session: ``{session}`` in ``script`` is its pk."""
    return shell_json(run_manage, script.format(session=session))


_LATEST_ATTEMPT = """
import json
from exams.models import Attempt
a = Attempt.objects.filter(session_id={session}).order_by("-pk").first()
"""


def attempt_json(run_manage: Callable[..., subprocess.CompletedProcess[str]], script: str, session: int) -> Any:
    """``session_json`` of a script that reads ``a``: the session's latest attempt (None before a start)."""
    return session_json(run_manage, _LATEST_ATTEMPT + script, session)
