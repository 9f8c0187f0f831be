"""Data for the plans tests: a syllabus in the public schema, plans and entries made directly
(for tests that are not about writing them), and row snapshots to prove "nothing changed"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from access.readlog.models import AccessLogEntry
from documentation.plans.models import (
    FormativeEntry,
    FormativeEntryHistory,
    PedagogicalPlan,
    PlanHistory,
    PlanTemplate,
    PlanVersion,
)
from tests.access.world import World
from tests.conftest import TENANT_A

SUBJECT = "GRGRMAT01"
OLD_VERSION = 2
VERSION = 3
CC_1 = f"{SUBJECT}:{VERSION}:cc.4-6.tal"
CC_2 = f"{SUBJECT}:{VERSION}:cc.4-6.geometri"
KR_E = f"{SUBJECT}:{VERSION}:kr.6.E"
OLD_CC_KEPT = f"{SUBJECT}:{OLD_VERSION}:cc.4-6.tal"  # same key in VERSION
OLD_CC_GONE = f"{SUBJECT}:{OLD_VERSION}:cc.4-6.rakna"  # no such key in VERSION
PERIOD = (dt.date(2026, 1, 12), dt.date(2026, 3, 27))
# A value judgement the shipped lexicon finds (documentation/textguard/lexicon_sv.py).
FLAGGED = "Eleven är lat under lektionerna."


def syllabus_make() -> None:
    """Mathematics for GR in two versions: version 3 valid today, version 2 ended."""
    from curriculum.models import CentralContent, KnowledgeRequirement, Subject

    with schema_context("public"):
        today = timezone.localdate()
        old = Subject.objects.create(
            code=SUBJECT,
            version=OLD_VERSION,
            name="Matematik",
            valid_from=dt.date(2011, 7, 1),
            valid_to=dt.date(2022, 6, 30),
        )
        new = Subject.objects.create(
            code=SUBJECT,
            version=VERSION,
            name="Matematik",
            valid_from=min(dt.date(2022, 7, 1), today),
        )
        for subject, keys in (
            (old, ["cc.4-6.tal", "cc.4-6.rakna"]),
            (new, ["cc.4-6.tal", "cc.4-6.geometri"]),
        ):
            for position, key in enumerate(keys, start=1):
                CentralContent.objects.create(
                    subject=subject,
                    code=SUBJECT,
                    version=subject.version,
                    key=key,
                    position=position,
                    text=f"Innehåll {key}",
                    year_span="4-6",
                )
        KnowledgeRequirement.objects.create(
            subject=new,
            code=SUBJECT,
            version=VERSION,
            key="kr.6.E",
            position=1,
            text="Eleven kan lösa enkla problem.",
            year="6",
            grade_step="E",
        )


def plan_make(
    world: World,
    *,
    group: str = "5A",
    author: str = "teacher_5a",
    published: bool = False,
    title: str = "Bråk och decimaltal",
) -> PedagogicalPlan:
    """A plan written straight to the database (in the current schema)."""
    user = world.users[author]
    now = timezone.now()
    plan = PedagogicalPlan.objects.create(
        group=world.groups[group],
        subject_code=SUBJECT,
        curriculum_version=VERSION,
        title=title,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        description_html="<p>Vi arbetar med bråk.</p>",
        central_content_keys=[CC_1],
        author=user,
        updated_by=user,
        published_at=now if published else None,
        current_version=1 if published else 0,
    )
    if published:
        PlanVersion.objects.create(plan=plan, version=1, snapshot={"title": title}, author=user)
    return plan


def entry_make(
    world: World,
    *,
    pupil: str | None = "p5a_1",
    group: str | None = None,
    author: str = "teacher_5a",
    visibility: str = "pupil_guardians",
    published: bool = True,
    text: str = "Visade säkerhet i huvudräkning.",
) -> FormativeEntry:
    user = world.users[author]
    return FormativeEntry.objects.create(
        pupil=world.people[pupil] if pupil else None,
        group=world.groups[group] if group else None,
        date=timezone.localdate(),
        text=text,
        visibility=visibility,
        author=user,
        updated_by=user,
        published_at=timezone.now() if published else None,
    )


def entry_path_for_coverage(world: World) -> str:
    """For tests/access/test_readlog_coverage.py: an entry about p8b_1, read by the principal."""
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, pupil="p8b_1", author="mentor_8b")
    return f"/api/v1/formative-entries/{entry.pk}"


def entries_path_for_coverage(world: World) -> str:
    with schema_context(TENANT_A.slug):
        entry_make(world, pupil="p8b_1", author="mentor_8b")
        entry_make(world, pupil="p8b_2", author="mentor_8b", visibility="staff")
        entry_make(world, pupil=None, group="8B", author="mentor_8b")
    return "/api/v1/formative-entries"


def rows(schema: str = TENANT_A.slug) -> dict[str, list[tuple[Any, ...]]]:
    """Every plans row, to prove that a refused request changed nothing."""
    with schema_context(schema):
        return {
            model.__name__: list(model.objects.order_by("pk").values_list())
            for model in (
                PedagogicalPlan,
                PlanVersion,
                PlanHistory,
                PlanTemplate,
                FormativeEntry,
                FormativeEntryHistory,
            )
        }


def log_entries(schema: str = TENANT_A.slug) -> list[AccessLogEntry]:
    with schema_context(schema):
        return list(AccessLogEntry.objects.order_by("id"))
