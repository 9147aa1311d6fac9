"""docs/OPERATIONS.md lists every setting the code reads from the environment."""

from __future__ import annotations

import re

from tests.support.servers import ROOT

READERS = re.compile(r"""(?:env_\w+|os\.environ\.get|_every)\(\s*(?:"[^"]*",\s*)?"([A-Z][A-Z0-9_]+)\"""")


def test_every_environment_variable_is_documented() -> None:
    names: set[str] = set()
    for source in sorted((ROOT / "config").glob("*.py")):
        names |= set(READERS.findall(source.read_text()))
    assert {"DATABASE_URL", "REDIS_URL", "GUNICORN_WORKERS", "EXAMS_TICK_SECONDS"} <= names  # the pattern works
    doc = (ROOT / "docs" / "OPERATIONS.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in doc)
    assert not missing, f"settings read from the environment but not in docs/OPERATIONS.md: {missing}"
