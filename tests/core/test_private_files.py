"""Private files: a stored relative path stays inside its app's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.private_files import private_path, private_root


def test_a_relative_path_lands_in_the_apps_folder(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    assert private_root("proctoring") == (tmp_path / "proctoring").resolve()
    assert private_path("proctoring", "identity/7/a.jpg") == (tmp_path / "proctoring" / "identity/7/a.jpg").resolve()


@pytest.mark.parametrize("relative", ["../analytics-exports/x.xlsx", "/etc/passwd", "", "a/../../b"])
def test_a_path_out_of_the_folder_is_refused(settings: Any, tmp_path: Path, relative: str) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    with pytest.raises(ValueError, match="escapes"):
        private_path("proctoring", relative)
