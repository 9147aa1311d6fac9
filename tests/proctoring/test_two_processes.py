"""Examinee and proctor on two different ASGI processes see each other live (Redis channel layer)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import Cast, login_client
from tests.proctoring.conftest import make_proctored
from tests.support.drill_services import drill_env
from tests.support.servers import DAPHNE, ROOT, free_port, wait_until_healthy


@pytest.fixture
def two_servers(transactional_db: None, tmp_path: Path) -> Iterator[list[str]]:
    if not settings.REDIS_URL:
        pytest.skip("the in-memory channel layer is per process by design; two ASGI processes need REDIS_URL")
    if connection.vendor != "postgresql":
        pytest.skip("the servers must share the test database: needs DATABASE_URL (PostgreSQL)")
    env = drill_env(tmp_path, REDIS_PREFIX=f"two-{uuid.uuid4().hex[:8]}")
    processes, urls = [], []
    for index in range(2):
        port = free_port()
        log = open(tmp_path / f"daphne-{index}.log", "w")  # noqa: SIM115 - closed with the process
        processes.append(
            subprocess.Popen(
                [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_until_healthy(url, process, tmp_path / "daphne-0.log")
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def _cookie(user: Any) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={login_client(user).cookies[settings.SESSION_COOKIE_NAME].value}"


async def _until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message = json.loads((await asyncio.wait_for(ws.receive(), timeout=20)).data)
        if message["type"] == kind:
            return message


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_examinee_on_one_process_and_proctor_on_another(cast: Cast, two_servers: list[str]) -> None:
    import aiohttp

    data = make_proctored(cast, tab_warn_at=1, tab_ignore_seconds=0, phone_aware=False)
    attempt_id = data["attempt"].pk
    examinee_server, proctor_server = two_servers
    examinee_cookie, proctor_cookie = _cookie(cast.east.learner.user), _cookie(cast.east.proctor)

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            grid = await http.ws_connect(
                f"{proctor_server.replace('http', 'ws')}/ws/proctoring/sessions/{data['session'].pk}/",
                headers={"Origin": proctor_server, "Cookie": proctor_cookie},
            )
            assert (await _until(grid, "rows"))["rows"][0]["attempt"] == attempt_id
            examinee = await http.ws_connect(
                f"{examinee_server.replace('http', 'ws')}/ws/proctoring/attempts/{attempt_id}/",
                headers={"Origin": examinee_server, "Cookie": examinee_cookie},
            )
            await _until(examinee, "hello")
            await examinee.send_json({"type": "event", "seq": 1, "event": "hidden"})
            await examinee.send_json({"type": "event", "seq": 2, "event": "visible", "duration_ms": 4000})
            seen = (await _until(grid, "events"))["rows"][0]
            while seen["events"] < 2:
                seen = (await _until(grid, "events"))["rows"][0]
            await grid.send_json({"type": "warn", "attempt": attempt_id, "text": "请不要切屏"})
            warned = await _until(examinee, "warning")
            while not warned.get("from_proctor"):
                warned = await _until(examinee, "warning")
            await examinee.close()
            await grid.close()
            return seen, warned

    seen, warned = asyncio.run(run())
    assert seen["tab_switches"] == 1
    assert warned["text"] == "请不要切屏"
