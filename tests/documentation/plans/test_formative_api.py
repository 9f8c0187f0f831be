"""The formative log over HTTP: bulk writes in one request, need-to-know reads, refusals that
change nothing, and the other municipality."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from documentation.plans.models import FormativeEntry
from tests.access.http import signed_in_client
from tests.access.world import World
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.plans.support import FLAGGED, entry_make, log_entries, plan_make, rows

ClientFor = Callable[[str], Client]
ENTRIES = "/api/v1/formative-entries"


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(path, body or {}, content_type="application/json")


def test_one_request_writes_the_same_entry_for_several_pupils(
    world: World, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_make(world, published=True)
    teacher = client_for("teacher_5a")
    pupils = [world.people["p5a_1"].pk, world.people["p5a_2"].pk]
    response = call(
        teacher,
        "post",
        ENTRIES,
        {
            "pupil_ids": pupils,
            "plan_id": plan.pk,
            "text": "Använde tallinjen för att jämföra bråk.",
            "visibility": "pupil_guardians",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert sorted(e["pupil"]["id"] for e in body["entries"]) == sorted(pupils)
    assert {e["batch"] for e in body["entries"]} == {body["batch"]}
    today = timezone.localdate().isoformat()
    assert {(e["status"], e["plan_id"], e["date"]) for e in body["entries"]} == {
        ("published", plan.pk, today)
    }
    # Each pupil's guardian now sees the entry about their own child
    mother = client_for("mother_p5a_1")
    listed = mother.get(ENTRIES).json()["results"]
    assert [e["pupil"]["id"] for e in listed] == [world.people["p5a_1"].pk]


def test_one_request_writes_one_entry_for_the_whole_group(
    world: World, client_for: ClientFor
) -> None:
    mentor = client_for("mentor_8b")
    group = world.groups["8B"].pk
    response = call(
        mentor,
        "post",
        ENTRIES,
        {
            "group_id": group,
            "date": "2026-02-03",
            "text": "Vi planerade temadagen.",
            "visibility": "pupil_guardians",
        },
    )
    assert response.status_code == 201, response.json()
    (entry,) = response.json()["entries"]
    assert (entry["group"]["id"], entry["pupil"], entry["date"]) == (group, None, "2026-02-03")
    assert [e["id"] for e in mentor.get(ENTRIES, {"group": group}).json()["results"]] == [
        entry["id"]
    ]


def test_a_draft_is_published_with_one_patch(world: World, client_for: ClientFor) -> None:
    teacher = client_for("teacher_5a")
    created = call(
        teacher,
        "post",
        ENTRIES,
        {
            "pupil_ids": [world.people["p5a_1"].pk],
            "text": "Utkast",
            "visibility": "pupil_guardians",
            "draft": True,
        },
    ).json()["entries"][0]
    pupil = client_for("pupil_p5a_1")
    assert pupil.get(f"{ENTRIES}/{created['id']}").status_code == 404
    response = call(teacher, "patch", f"{ENTRIES}/{created['id']}", {"publish": True})
    assert response.json()["status"] == "published"
    assert pupil.get(f"{ENTRIES}/{created['id']}").json()["text"] == "Utkast"


def test_guardians_never_see_another_familys_entries(world: World, client_for: ClientFor) -> None:
    with schema_context(TENANT_A.slug):
        own = entry_make(world, pupil="p5a_1")
        other = entry_make(world, pupil="p5a_2")
        eighth = entry_make(world, pupil="p8b_2", author="mentor_8b")
    mother = client_for("mother_p5a_1")
    assert [e["id"] for e in mother.get(ENTRIES).json()["results"]] == [own.pk]
    assert mother.get(ENTRIES, {"pupil": world.people["p5a_2"].pk}).json()["results"] == []
    for entry in (other, eighth):
        assert mother.get(f"{ENTRIES}/{entry.pk}").status_code == 404
    # "Annan ansvarig" (not counted as guardian) sees nothing about p8b_2
    foster = client_for("foster_p8b_2")
    assert foster.get(ENTRIES).json()["results"] == []
    assert foster.get(f"{ENTRIES}/{eighth.pk}").status_code == 404


def test_a_pupil_never_sees_staff_only_entries_or_drafts(
    world: World, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        shared = entry_make(world, pupil="p5a_1")
        hidden = [
            entry_make(world, pupil="p5a_1", visibility="staff"),
            entry_make(world, pupil="p5a_1", published=False),
            entry_make(world, pupil=None, group="5A", visibility="staff"),
            entry_make(world, pupil=None, group="5A", published=False),
        ]
        group_shared = entry_make(world, pupil=None, group="5A")
    pupil = client_for("pupil_p5a_1")
    listed = {e["id"] for e in pupil.get(ENTRIES).json()["results"]}
    assert listed == {shared.pk, group_shared.pk}
    for entry in hidden:
        assert pupil.get(f"{ENTRIES}/{entry.pk}").status_code == 404
    # and staff with a relation see them all
    teacher = client_for("teacher_5a")
    assert len(teacher.get(ENTRIES).json()["results"]) == 6


def test_staff_without_a_relation_get_404_and_nothing_changes(
    world: World, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, pupil="p5a_1")
        group_entry = entry_make(world, pupil=None, group="5A", visibility="staff")
    before = rows()
    for name in ("teacher_ma8b", "teacher_idle"):
        outsider = client_for(name)
        assert outsider.get(ENTRIES).json()["results"] == []
        assert outsider.get(ENTRIES, {"pupil": world.people["p5a_1"].pk}).json()["results"] == []
        for target in (entry, group_entry):
            assert outsider.get(f"{ENTRIES}/{target.pk}").status_code == 404
            path = f"{ENTRIES}/{target.pk}"
            assert call(outsider, "patch", path, {"text": "Ändrad"}).status_code == 404
        for body in (
            {"pupil_ids": [world.people["p5a_1"].pk], "text": "x", "visibility": "staff"},
            {"group_id": world.groups["5A"].pk, "text": "x", "visibility": "staff"},
        ):
            assert call(outsider, "post", ENTRIES, body).status_code == 404
    # A guardian reads the entry but cannot change it, nor write one
    mother = client_for("mother_p5a_1")
    assert call(mother, "patch", f"{ENTRIES}/{entry.pk}", {"text": "x"}).status_code == 404
    body = {"pupil_ids": [world.people["p5a_1"].pk], "text": "x", "visibility": "staff"}
    assert call(mother, "post", ENTRIES, body).status_code == 404
    # One pupil that is not the teacher's spoils the whole request
    teacher = client_for("teacher_5a")
    mixed = {
        "pupil_ids": [world.people["p5a_1"].pk, world.people["p8b_1"].pk],
        "text": "x",
        "visibility": "staff",
    }
    assert call(teacher, "post", ENTRIES, mixed).status_code == 404
    assert rows() == before


@pytest.mark.parametrize(
    "extra", [{"attendance": "present"}, {"franvaro_minuter": 20}, {"grade": "E"}]
)
def test_attendance_and_grades_are_refused(
    world: World, client_for: ClientFor, extra: dict[str, Any]
) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, pupil="p5a_1")
    before = rows()
    teacher = client_for("teacher_5a")
    body = {"pupil_ids": [world.people["p5a_1"].pk], "text": "x", "visibility": "staff", **extra}
    for method, path, data in (
        ("post", ENTRIES, body),
        ("patch", f"{ENTRIES}/{entry.pk}", extra),
    ):
        response = call(teacher, method, path, data)
        assert (response.status_code, response.json()["code"]) == (400, "out_of_scope")
    assert rows() == before


def test_findings_answer_422_and_nothing_is_written(world: World, client_for: ClientFor) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, pupil="p5a_1")
    before = rows()
    teacher = client_for("teacher_5a")
    body = {"pupil_ids": [world.people["p5a_1"].pk], "text": FLAGGED, "visibility": "staff"}
    response = call(teacher, "post", ENTRIES, body)
    assert (response.status_code, response.json()["code"]) == (422, "text_guard")
    response = call(teacher, "patch", f"{ENTRIES}/{entry.pk}", {"text": FLAGGED})
    assert response.status_code == 422
    assert rows() == before
    response = call(
        teacher, "patch", f"{ENTRIES}/{entry.pk}", {"text": FLAGGED, "acknowledge": True}
    )
    assert response.status_code == 200


def test_another_municipality_sees_nothing(world: World, world_b: World) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, pupil="p5a_1")
    before = rows()
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["teacher_5a"])
    client.defaults["HTTP_HOST"] = TENANT_B.domain
    for method, path in (("get", ENTRIES), ("get", f"{ENTRIES}/{entry.pk}"), ("post", ENTRIES)):
        assert call(client, method, path).status_code == 403
    teacher_b = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    assert teacher_b.get(ENTRIES).json()["results"] == []
    assert teacher_b.get(f"{ENTRIES}/{entry.pk}").status_code == 404
    assert call(teacher_b, "patch", f"{ENTRIES}/{entry.pk}", {"text": "x"}).status_code == 404
    assert rows() == before
    assert rows(TENANT_B.slug)["FormativeEntry"] == []
    assert log_entries(TENANT_A.slug) == []
    with schema_context(TENANT_A.slug):
        assert FormativeEntry.objects.get(pk=entry.pk).text == entry.text
