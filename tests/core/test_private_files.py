from pathlib import Path

import pytest

from core.private_files import private_path


def test_a_file_lands_in_its_feature_folder_of_private_storage(settings, tmp_path: Path) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    assert private_path("exports", "7/report.xlsx") == (tmp_path / "exports" / "7" / "report.xlsx").resolve()


@pytest.mark.parametrize("relative", ["../other/secret.jpg", "/etc/passwd", "", "a/../../x"])
def test_a_path_outside_the_folder_is_refused(settings, tmp_path: Path, relative: str) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    with pytest.raises(ValueError, match="escapes"):
        private_path("exports", relative)
