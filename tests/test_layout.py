"""`platform/` is a plain folder on the import path, never a package shadowing the stdlib."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_platform_folder_is_not_a_package() -> None:
    assert (REPO_ROOT / "platform" / "config" / "settings" / "base.py").is_file()
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()


def test_import_platform_is_the_standard_library_from_the_repo_root() -> None:
    # Given the repo root as working directory and first import path entry (as manage.py has it)
    script = (
        "import platform, sys, uuid, wsgiref.util; "
        "assert platform.system(); print(platform.__file__)"
    )
    # When a fresh interpreter imports `platform` from there
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    # Then it got the standard library's module, not our folder
    assert Path(result.stdout.strip()).parent == Path(sys.modules["os"].__file__).parent


def test_project_packages_import_from_platform_folder() -> None:
    import config
    import tenants

    assert Path(config.__file__).parent == REPO_ROOT / "platform" / "config"
    assert Path(tenants.__file__).parent == REPO_ROOT / "tenants"
