"""The bundled demo syllabi (`make demo`) and the import_curriculum command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from curriculum.models import Course, KnowledgeRequirement, Subject
from curriculum.services import curriculum_load_demo
from tests.curriculum.support import grgrmat01

pytestmark = pytest.mark.django_db


def test_the_demo_syllabi_load_and_load_again_without_writing() -> None:
    # When the demo data is loaded twice
    first = curriculum_load_demo()
    second = curriculum_load_demo()
    # Then the GR subjects and the GY subject with its course are there, and the second run
    # wrote nothing
    assert first.issues == []
    assert set(Subject.objects.values_list("code", flat=True)) == {
        "GRGRMAT01",
        "GRGRSVE01",
        "GRGRENG01",
        "MAT",
    }
    assert list(Course.objects.values_list("code", flat=True)) == ["MATMAT01c"]
    assert KnowledgeRequirement.objects.filter(key="kr.3.acceptable").count() == 2
    assert all("demotext" in s.description for s in Subject.objects.all())  # marked synthetic
    assert second.written == 0


def test_the_command_imports_a_folder(tmp_path: Path) -> None:
    (tmp_path / "GRGRMAT01.json").write_text(json.dumps(grgrmat01()), encoding="utf-8")
    out = StringIO()
    call_command("import_curriculum", "--files", str(tmp_path), stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("subjects: 1 new, 0 updated, 0 unchanged, 0 retired;")
    out = StringIO()
    call_command("import_curriculum", "--files", str(tmp_path), stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("subjects: 0 new, 0 updated, 1 unchanged, 0 retired;")


def test_the_command_loads_the_demo() -> None:
    call_command("import_curriculum", "--demo", stdout=StringIO(), stderr=StringIO())
    assert Subject.objects.count() == 4


def test_the_command_reports_skipped_files_and_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    err = StringIO()
    call_command("import_curriculum", "--files", str(tmp_path), stdout=StringIO(), stderr=err)
    assert "issue: broken.json: not readable JSON" in err.getvalue()
    with pytest.raises(CommandError, match="not a folder"):
        call_command("import_curriculum", "--files", str(tmp_path / "missing"))


def test_the_command_needs_exactly_one_source() -> None:
    with pytest.raises(CommandError):
        call_command("import_curriculum")
