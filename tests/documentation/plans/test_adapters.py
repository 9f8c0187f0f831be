"""The adapters to the curriculum and to the text guard: lazy imports that fail loudly."""

from __future__ import annotations

import sys

import pytest
from django.apps import apps

from documentation.plans import curriculum_refs, guard
from documentation.plans.curriculum_refs import Reference, reference_parse


def test_a_reference_is_code_version_key() -> None:
    assert reference_parse("GRGRMAT01:3:cc.4-6.abc") == Reference("GRGRMAT01", 3, "cc.4-6.abc")
    assert str(Reference("MATMAT01c", 11, "kr.C")) == "MATMAT01c:11:kr.C"
    # the key may itself hold colons: only the first two separate
    assert reference_parse("X:1:kr:odd").key == "kr:odd"


@pytest.mark.parametrize("text", ["", "GRGRMAT01", "GRGRMAT01:3", "GRGRMAT01:v3:cc.x", ":3:cc"])
def test_what_is_not_a_reference(text: str) -> None:
    with pytest.raises(ValueError, match="not a curriculum reference"):
        reference_parse(text)


def test_without_the_curriculum_app_every_check_raises_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "curriculum")
    with pytest.raises(ImportError, match="curriculum"):
        curriculum_refs.subject_version_on(code="GRGRMAT01", on=__import__("datetime").date.today())
    with pytest.raises(ImportError, match="curriculum"):
        curriculum_refs.references_problems(references=["GRGRMAT01:3:cc.x"], version=3)


def test_without_the_curriculum_module_every_check_raises_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, curriculum_refs.CURRICULUM_MODULE, None)
    with pytest.raises(ImportError, match=r"curriculum\.selectors"):
        curriculum_refs.reference_carry("GRGRMAT01:2:cc.x", version=3)


def test_without_the_text_guard_nothing_is_saved_unchecked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, guard.TEXTGUARD_MODULE, None)
    with pytest.raises(ImportError, match="textguard"):
        guard.texts_guard(
            texts={"text": "x"},
            acknowledged=False,
            user=None,  # type: ignore[arg-type]
            document_ref="plans.plan:1",
        )


def test_findings_are_rendered_as_the_contract_says() -> None:
    from documentation.textguard.matcher import Finding

    finding = Finding("text", 9, 12, "lat", "value_judgement", "Beskriv ...")
    assert guard.finding_as_dict(finding) == {
        "field": "text",
        "start": 9,
        "end": 12,
        "text": "lat",
        "category": "value_judgement",
        "suggestion": "Beskriv ...",
    }
    assert guard.finding_as_dict({"field": "title"})["field"] == "title"
