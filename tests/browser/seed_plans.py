"""The curriculum the plan editor's picker offers in the browser world: the bundled, synthetic
demo syllabi (platform/curriculum/demo), loaded into the public schema by the real import, and
removed again with the rest of the browser data (public rows outlive the dropped schema)."""

from __future__ import annotations

from curriculum.models import Subject
from curriculum.services import DEMO_FOLDER, curriculum_load_demo

DEMO_CODES = tuple(sorted(path.stem for path in DEMO_FOLDER.glob("*.json")))
# The class the plan test writes for, and the subject and items it picks (demo GRGRMAT01).
PLAN_SUBJECT = "GRGRMAT01"
PLAN_FILTER_REQUIREMENTS = "begrepp"  # the year-6 grading criteria E, C and A mention it
PLAN_FILTER_CONTENT = "bråk"  # one central content item, years 4-6


def seed_curriculum() -> None:
    """Loads the demo syllabi (call in the public schema). Idempotent."""
    curriculum_load_demo()


def drop_curriculum() -> None:
    """Deletes the demo syllabi with their courses and items (call in the public schema)."""
    Subject.objects.filter(code__in=DEMO_CODES).delete()
