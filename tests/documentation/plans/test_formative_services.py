"""The formative log: bulk writes, all or nothing, drafts, history, and who reads what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from access.documents import DocumentAccessDenied
from access.policy import Actor
from documentation.plans.guard import GuardFindings
from documentation.plans.models import FormativeEntry, FormativeEntryHistory
from documentation.plans.selectors import entries_readable, reading_relations
from documentation.plans.services.formative import (
    formative_entry_create,
    formative_entry_update,
)
from tests.access.world import World
from tests.conftest import TENANT_A, QueryCounter
from tests.documentation.plans.support import FLAGGED, entry_make, plan_make, rows

ActorOf = Callable[[str], Actor]
TODAY = dt.date.today()


def test_the_same_entry_for_several_pupils_is_one_write(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_make(world)
        pupils = [world.people["p5a_1"].pk, world.people["p5a_2"].pk]
        # When the teacher writes one note for both pupils (one of them listed twice)
        entries = formative_entry_create(
            actor=actor("teacher_5a"),
            pupil_ids=[*pupils, pupils[0]],
            plan_id=plan.pk,
            date=TODAY,
            text="  Förklarade sin lösning med en bild.  ",
            visibility="pupil_guardians",
        )
        # Then each pupil has one published entry, sharing one batch, each with its history
        assert sorted(e.pupil_id for e in entries) == sorted(pupils)
        assert len({e.batch for e in entries}) == 1
        stored = FormativeEntry.objects.filter(pk__in=[e.pk for e in entries])
        assert {(e.text, e.plan_id, e.published_at is not None) for e in stored} == {
            ("Förklarade sin lösning med en bild.", plan.pk, True)
        }
        created = FormativeEntryHistory.objects.filter(entry__in=entries, action="created")
        assert created.count() == 2


def test_writing_for_more_pupils_sends_no_more_statements(
    world: World, actor: ActorOf, count_queries: type[QueryCounter]
) -> None:
    with schema_context(TENANT_A.slug):
        teacher = actor("teacher_5a")
        counts = []
        for names in (["p5a_1"], ["p5a_1", "p5a_2"]):
            with count_queries() as counted:
                formative_entry_create(
                    actor=teacher,
                    pupil_ids=[world.people[name].pk for name in names],
                    date=TODAY,
                    text="Deltog aktivt i diskussionen.",
                    visibility="staff",
                )
            counts.append(counted.count)
    assert counts[0] == counts[1]
    assert counts[0] <= 8, counts


def test_one_entry_for_a_whole_group(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        (entry,) = formative_entry_create(
            actor=actor("mentor_8b"),
            group_id=world.groups["8B"].pk,
            date=TODAY,
            text="Klassen planerade temadagen.",
            visibility="pupil_guardians",
        )
        assert (entry.group_id, entry.pupil_id) == (world.groups["8B"].pk, None)


@pytest.mark.parametrize(
    "pupils",
    [
        ("p5a_1", "p8b_1"),  # one of them is not teacher_5a's pupil
        ("p_left",),  # left the school
        ("p3c_1",),
    ],
)
def test_all_or_nothing_when_a_pupil_is_not_the_writers(
    world: World, actor: ActorOf, pupils: tuple[str, ...]
) -> None:
    before = rows()
    with schema_context(TENANT_A.slug), pytest.raises(DocumentAccessDenied):
        formative_entry_create(
            actor=actor("teacher_5a"),
            pupil_ids=[world.people[name].pk for name in pupils],
            date=TODAY,
            text="x",
            visibility="staff",
        )
    assert rows() == before


@pytest.mark.parametrize("name", ["mother_p5a_1", "pupil_p5a_1", "teacher_idle"])
def test_pupils_guardians_and_unrelated_staff_write_nothing(
    world: World, actor: ActorOf, name: str
) -> None:
    before = rows()
    with schema_context(TENANT_A.slug):
        with pytest.raises(DocumentAccessDenied):
            formative_entry_create(
                actor=actor(name),
                pupil_ids=[world.people["p5a_1"].pk],
                date=TODAY,
                text="x",
                visibility="staff",
            )
        with pytest.raises(DocumentAccessDenied):
            formative_entry_create(
                actor=actor(name),
                group_id=world.groups["5A"].pk,
                date=TODAY,
                text="x",
                visibility="staff",
            )
    assert rows() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pupil_ids": [], "group_id": None}, "one of them"),
        ({"group_id": 1}, "one of them"),  # both pupils and a group
        ({"text": "   "}, "needs a text"),
        ({"visibility": "everyone"}, "staff or pupil_guardians"),
        ({"plan_id": 999_999_999}, "No such plan"),
    ],
)
def test_bad_entries_are_refused(
    world: World, actor: ActorOf, fields: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {
        "pupil_ids": [world.people["p5a_1"].pk],
        "date": TODAY,
        "text": "x",
        "visibility": "staff",
    }
    values.update(fields)
    with schema_context(TENANT_A.slug), pytest.raises(ValidationError, match=message):
        formative_entry_create(actor=actor("teacher_5a"), **values)  # type: ignore[arg-type]


def test_a_draft_is_published_later_and_every_change_is_kept(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        (entry,) = formative_entry_create(
            actor=actor("teacher_5a"),
            pupil_ids=[world.people["p5a_1"].pk],
            date=TODAY,
            text="Första utkast.",
            visibility="pupil_guardians",
            draft=True,
        )
        assert entry.published_at is None
        # a colleague with a relation (special needs teacher) edits, the author publishes
        formative_entry_update(
            actor=actor("specped_5a"), entry_id=entry.pk, changes={"text": "Andra utkast."}
        )
        formative_entry_update(
            actor=actor("teacher_5a"), entry_id=entry.pk, changes={}, publish=True
        )
        # nothing changed: nothing written
        formative_entry_update(
            actor=actor("teacher_5a"), entry_id=entry.pk, changes={"text": "Andra utkast."}
        )
        entry.refresh_from_db()
        assert entry.published_at is not None
        assert entry.text == "Andra utkast."
        history = list(entry.history.order_by("pk"))
        assert [(h.action, h.by.username, h.snapshot["text"]) for h in history] == [
            ("created", "teacher_5a", "Första utkast."),
            ("updated", "specped_5a", "Andra utkast."),
            ("published", "teacher_5a", "Andra utkast."),
        ]
        assert history[2].snapshot["published_at"] is not None
        # a published entry stays published
        with pytest.raises(ValidationError, match="stays published"):
            formative_entry_update(
                actor=actor("teacher_5a"), entry_id=entry.pk, changes={}, publish=False
            )
        # and its history cannot be rewritten
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            history[0].delete()


def test_the_guard_refuses_unacknowledged_findings_for_the_whole_batch(
    world: World, actor: ActorOf
) -> None:
    before = rows()
    pupils = [world.people["p5a_1"].pk, world.people["p5a_2"].pk]
    with schema_context(TENANT_A.slug), pytest.raises(GuardFindings):
        formative_entry_create(
            actor=actor("teacher_5a"),
            pupil_ids=pupils,
            date=TODAY,
            text=FLAGGED,
            visibility="staff",
        )
    assert rows() == before
    with schema_context(TENANT_A.slug):
        entries = formative_entry_create(
            actor=actor("teacher_5a"),
            pupil_ids=pupils,
            date=TODAY,
            text=FLAGGED,
            visibility="staff",
            acknowledge=True,
        )
        assert len(entries) == 2


def test_who_reads_which_entries(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        shared = entry_make(world, pupil="p5a_1")
        staff_only = entry_make(world, pupil="p5a_1", visibility="staff")
        draft = entry_make(world, pupil="p5a_1", published=False)
        other_child = entry_make(world, pupil="p5a_2")
        group_shared = entry_make(world, pupil=None, group="5A")
        group_staff = entry_make(world, pupil=None, group="5A", visibility="staff")
        group_draft = entry_make(world, pupil=None, group="5A", published=False)
        ended_teachers = entry_make(
            world, pupil="p5a_2", author="teacher_ended", visibility="staff"
        )
        everything = {
            shared, staff_only, draft, other_child, group_shared, group_staff, group_draft,
            ended_teachers,
        }  # fmt: skip

        def reads(name: str) -> set[FormativeEntry]:
            return set(entries_readable(actor(name)))

        # staff with a relation read everything about their pupils and group
        assert reads("teacher_5a") == everything
        assert reads("specped_5a") == everything
        assert reads("principal_norra") == everything
        # the author reads their own even after the relation ended, nothing else
        assert reads("teacher_ended") == {ended_teachers}
        # the pupil and guardians: published, shared, about them or their group only
        assert reads("pupil_p5a_1") == {shared, group_shared}
        assert reads("mother_p5a_1") == {shared, group_shared}
        assert reads("father_p5a_1") == {shared, group_shared}
        # nobody else
        for name in ("teacher_ma8b", "teacher_idle", "mentor_8b", "parent_p_left", "foster_p8b_2"):
            assert reads(name) == set(), name


def test_the_read_log_names_the_relation_that_allowed_the_read(
    world: World, actor: ActorOf
) -> None:
    with schema_context(TENANT_A.slug):
        p1, p2, left = (world.people[n].pk for n in ("p5a_1", "p5a_2", "p_left"))
        assert reading_relations(actor("teacher_5a"), [p1, p2]) == {p1: "teacher", p2: "teacher"}
        assert reading_relations(actor("mother_p5a_1"), [p1]) == {p1: "guardian"}
        assert reading_relations(actor("pupil_p5a_1"), [p1]) == {p1: "self"}
        assert reading_relations(actor("teacher_ended"), [p1, left]) == {
            p1: "author",
            left: "author",
        }
