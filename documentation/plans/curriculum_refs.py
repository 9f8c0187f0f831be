"""Curriculum references as plans store them: plain text ``"<code>:<version>:<key>"``.

The curriculum lives in the public schema (app ``curriculum``); tenant tables never hold a
foreign key into it. This adapter is the only place plans talk to it, and it imports it lazily:
when the curriculum app is not installed (yet), every call raises ImportError, so nothing is
ever saved unchecked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import ModuleType
from typing import NamedTuple

from django.apps import apps

CURRICULUM_MODULE = "curriculum.selectors"


class Reference(NamedTuple):
    code: str
    version: int
    key: str

    def __str__(self) -> str:
        return f"{self.code}:{self.version}:{self.key}"


def _selectors() -> ModuleType:
    if not apps.is_installed("curriculum"):
        raise ImportError(
            "The curriculum app is not installed: plans cannot check curriculum references."
        )
    import importlib

    try:
        return importlib.import_module(CURRICULUM_MODULE)
    except ImportError as error:
        raise ImportError(
            f"{CURRICULUM_MODULE} is not available: plans cannot check curriculum references."
        ) from error


def reference_parse(text: str) -> Reference:
    """``"GRGRMAT01:3:cc.4-6.ab12"`` as its parts; ValueError if it is not a reference."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise ValueError(f"not a curriculum reference: {text!r}")
    code, version, key = (part.strip() for part in parts)
    if not version.isdigit():
        raise ValueError(f"not a curriculum reference (version): {text!r}")
    return Reference(code, int(version), key)


def subject_version_on(*, code: str, on: dt.date) -> int | None:
    """The version of subject (or course) ``code`` valid on ``on``, None if there is none."""
    subject = _selectors().subject_version_on(code=code, on=on)
    return None if subject is None else int(subject.version)


def reference_exists(reference: Reference) -> bool:
    found = _selectors().reference_resolve(
        code=reference.code, version=str(reference.version), key=reference.key
    )
    return found is not None


def references_problems(*, references: Sequence[str], version: int | None) -> list[str]:
    """What is wrong with ``references`` for a document bound to subject version ``version``:
    one message per bad reference (unparseable, another version, or unknown); empty if none."""
    problems = []
    for text in references:
        try:
            reference = reference_parse(text)
        except ValueError:
            problems.append(f"{text}: not of the form <code>:<version>:<key>")
            continue
        if version is None or reference.version != version:
            problems.append(f"{text}: not of the subject version {version}")
        elif not reference_exists(reference):
            problems.append(f"{text}: no such central content or knowledge requirement")
    return problems


def reference_carry(text: str, *, version: int) -> str | None:
    """``text`` pointed at ``version`` if the item has the same key there (an item whose wording
    did not change keeps its key), else None."""
    try:
        reference = reference_parse(text)
    except ValueError:
        return None
    moved = reference._replace(version=version)
    return str(moved) if reference_exists(moved) else None
