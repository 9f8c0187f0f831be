"""Development talks and IUPs: services and API, need-to-know, publication, versions."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django_tenants.utils import schema_context

from access.readlog.models import AccessLogEntry
from documentation.talks.models import (
    IUP,
    DevelopmentTalk,
    DocumentVersion,
    TalkAgreement,
    TalkTemplate,
)
from documentation.textguard.models import Acknowledgement
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B

HOST = TENANT_A.domain


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


def client_for(world: World, name: str) -> Client:
    return signed_in_client(HOST, TENANT_A.slug, world.users[name])


def counts() -> tuple[int, int, int]:
    with schema_context(TENANT_A.slug):
        return DevelopmentTalk.objects.count(), IUP.objects.count(), DocumentVersion.objects.count()


def create_talk(client: Client, pupil_id: int, **extra: object) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/talks",
        {"pupil_id": pupil_id, "held_on": "2026-11-20", "notes": "Vi pratade om läsning.",
         "answers": {"0.0": "Eleven läser mer på fritiden."}, **extra},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()  # type: ignore[no-any-return]


def test_a_draft_talk_is_for_staff_and_a_published_one_reaches_the_family(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    talk = create_talk(teacher, world.people["p5a_1"].pk)
    mother, pupil = client_for(world, "mother_p5a_1"), client_for(world, "pupil_p5a_1")
    # While a draft: only staff with a relation see it
    assert mother.get(f"/api/v1/talks/{talk['id']}").status_code == 404
    assert pupil.get("/api/v1/talks").json()["results"] == []
    # Once published: the pupil and both separated parents see it
    assert teacher.post(f"/api/v1/talks/{talk['id']}/publish").status_code == 200
    for name in ("mother_p5a_1", "father_p5a_1", "pupil_p5a_1"):
        body = client_for(world, name).get(f"/api/v1/talks/{talk['id']}").json()
        assert (body["id"], body["notes"]) == (talk["id"], "Vi pratade om läsning.")


def test_another_family_never_sees_the_talk_notes(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    talk = create_talk(teacher, world.people["p5a_1"].pk)
    teacher.post(f"/api/v1/talks/{talk['id']}/publish")
    other_family = client_for(world, "parent_p8b_protected")
    assert other_family.get(f"/api/v1/talks/{talk['id']}").status_code == 404
    assert other_family.get("/api/v1/talks").json()["results"] == []


def test_a_teacher_without_a_relation_can_neither_write_nor_read(world: World) -> None:
    talk = create_talk(client_for(world, "teacher_5a"), world.people["p5a_1"].pk)
    stranger = client_for(world, "teacher_ma8b")
    before = counts()
    response = stranger.post(
        "/api/v1/talks", {"pupil_id": world.people["p5a_1"].pk}, content_type="application/json"
    )
    assert response.status_code == 404
    assert stranger.get(f"/api/v1/talks/{talk['id']}").status_code == 404
    assert (
        stranger.put(
            f"/api/v1/talks/{talk['id']}", {"notes": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert counts() == before


def test_administrators_do_not_read_documentation(world: World) -> None:
    talk = create_talk(client_for(world, "teacher_5a"), world.people["p5a_1"].pk)
    for name in ("school_admin_norra", "municipality_admin"):
        assert client_for(world, name).get(f"/api/v1/talks/{talk['id']}").status_code == 404


def test_a_session_of_a_reads_nothing_on_bs_host_and_as_ids_are_unknown_there(
    world: World, tenant_b: object
) -> None:
    talk = create_talk(client_for(world, "teacher_5a"), world.people["p5a_1"].pk)
    client = client_for(world, "teacher_5a")
    client.defaults["HTTP_HOST"] = TENANT_B.domain
    assert client.get(f"/api/v1/talks/{talk['id']}").status_code == 403
    with schema_context(TENANT_B.slug):
        world_b = build_world(prefix="b-")
    b_teacher = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    assert b_teacher.get(f"/api/v1/talks/{talk['id']}").status_code == 404
    with schema_context(TENANT_B.slug):
        assert DevelopmentTalk.objects.count() == 0


def test_editing_a_published_talk_makes_a_new_immutable_version(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    talk = create_talk(teacher, world.people["p5a_1"].pk)
    teacher.post(f"/api/v1/talks/{talk['id']}/publish")
    edited = teacher.put(
        f"/api/v1/talks/{talk['id']}", {"notes": "Tillägg efter samtalet."},
        content_type="application/json",
    ).json()  # fmt: skip
    assert edited["current_version"] == 2
    with schema_context(TENANT_A.slug):
        versions = list(DocumentVersion.objects.filter(kind="talk").order_by("version"))
        assert [v.snapshot["notes"] for v in versions] == [
            "Vi pratade om läsning.",
            "Tillägg efter samtalet.",
        ]
        with pytest.raises(DatabaseError), transaction.atomic():
            DocumentVersion.objects.filter(pk=versions[0].pk).update(snapshot={})
        with pytest.raises(DatabaseError), transaction.atomic():
            DocumentVersion.objects.filter(pk=versions[0].pk).delete()


def test_agreed_actions_are_added_and_followed_up(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    talk = create_talk(teacher, world.people["p5a_1"].pk)
    agreement = teacher.post(
        f"/api/v1/talks/{talk['id']}/agreements",
        {"text": "Läsa 20 minuter varje dag.", "responsible": "pupil",
         "follow_up_on": "2027-01-15"},
        content_type="application/json",
    ).json()  # fmt: skip
    followed = teacher.post(
        f"/api/v1/talks/{talk['id']}/agreements/{agreement['id']}/follow-up",
        {"note": "Har läst varje dag."}, content_type="application/json",
    ).json()  # fmt: skip
    assert (followed["follow_up_note"], followed["followed_up_at"] is not None) == (
        "Har läst varje dag.",
        True,
    )
    detail = teacher.get(f"/api/v1/talks/{talk['id']}").json()
    assert [a["text"] for a in detail["agreements"]] == ["Läsa 20 minuter varje dag."]


def test_only_the_principal_decides_the_schools_talk_template(world: World) -> None:
    template = {
        "title": "Utvecklingssamtal åk 4-6",
        "organisation_id": world.groups["5A"].organisation.parent_id,
        "sections": [{"title": "Kunskapsutveckling", "questions": ["Vad har gått bra?"]}],
    }
    teacher = client_for(world, "teacher_5a")
    assert (
        teacher.post(
            "/api/v1/talk-templates", template, content_type="application/json"
        ).status_code
        == 404
    )
    principal = client_for(world, "principal_norra")
    created = principal.post("/api/v1/talk-templates", template, content_type="application/json")
    assert created.status_code == 201
    assert [t["title"] for t in teacher.get("/api/v1/talk-templates").json()] == [
        "Utvecklingssamtal åk 4-6"
    ]
    with schema_context(TENANT_A.slug):
        assert TalkTemplate.objects.count() == 1


def test_an_iup_is_written_published_and_read_by_the_family(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    response = teacher.post(
        "/api/v1/iups",
        {"pupil_id": world.people["p5a_1"].pk, "term": "HT2026", "school_year": 5,
         "goals": "Utveckla läsförståelsen.", "measures": "Högläsning i klassen.",
         "subjects": [{"subject_code": "GRGRSVE01", "level": "acceptable",
                       "text": "Läser med flyt och förstår texter."}]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    iup = response.json()
    guardian = client_for(world, "father_p5a_1")
    assert guardian.get(f"/api/v1/iups/{iup['id']}").status_code == 404
    teacher.post(f"/api/v1/iups/{iup['id']}/publish")
    seen = guardian.get(f"/api/v1/iups/{iup['id']}").json()
    assert (seen["term"], [s["subject_code"] for s in seen["subjects"]]) == (
        "HT2026",
        ["GRGRSVE01"],
    )
    # One IUP per pupil and term
    again = teacher.post(
        "/api/v1/iups", {"pupil_id": world.people["p5a_1"].pk, "term": "HT2026"},
        content_type="application/json",
    )  # fmt: skip
    assert again.status_code == 400


def test_grades_and_attendance_are_refused_with_an_explanation(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    before = counts()
    grade = teacher.post(
        "/api/v1/iups", {"pupil_id": world.people["p5a_1"].pk, "term": "HT2026", "grade": "C"},
        content_type="application/json",
    )  # fmt: skip
    absence = teacher.post(
        "/api/v1/talks", {"pupil_id": world.people["p5a_1"].pk, "franvaro": "3 dagar"},
        content_type="application/json",
    )  # fmt: skip
    assert (grade.status_code, absence.status_code) == (400, 400)
    assert "pupil register" in grade.json()["detail"]
    assert "Skola24" in absence.json()["detail"]
    assert counts() == before


def test_value_laden_wording_needs_an_acknowledgement(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    before = counts()
    refused = teacher.post(
        "/api/v1/talks", {"pupil_id": world.people["p5a_1"].pk, "notes": "Eleven är lat."},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["code"] == "text_guard"
    assert counts() == before
    accepted = create_talk(
        teacher, world.people["p5a_1"].pk, notes="Eleven är lat.", acknowledge=True
    )
    assert accepted["notes"] == "Eleven är lat."


def test_reading_a_talk_writes_one_read_log_entry(world: World) -> None:
    talk = create_talk(client_for(world, "teacher_5a"), world.people["p5a_1"].pk)
    mentor = client_for(world, "teacher_5a")
    mentor.get(f"/api/v1/talks/{talk['id']}")
    with schema_context(TENANT_A.slug):
        entries = list(AccessLogEntry.objects.filter(resource="talks.talk.detail"))
    assert [(e.pupil_ids, e.relations) for e in entries] == [
        ([world.people["p5a_1"].pk], {str(world.people["p5a_1"].pk): "teacher"})
    ]


def test_each_agreement_with_findings_is_acknowledged_on_its_own(world: World) -> None:
    # Given a talk with two agreements that use the same value-laden word
    teacher = client_for(world, "teacher_5a")
    talk = create_talk(teacher, world.people["p5a_1"].pk)
    url = f"/api/v1/talks/{talk['id']}/agreements"
    lazy = {"text": "Sluta vara lat på lektionerna.", "responsible": "pupil"}
    refused = teacher.post(url, lazy, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (422, "text_guard")
    with schema_context(TENANT_A.slug):
        assert list(TalkAgreement.objects.values_list("text", flat=True)) == []
    # When both are added with the acknowledgement, and the first is followed up likewise
    first = teacher.post(url, {**lazy, "acknowledge": True}, content_type="application/json")
    second = teacher.post(url, {**lazy, "acknowledge": True}, content_type="application/json")
    assert (first.status_code, second.status_code) == (201, 201)
    followed = teacher.post(
        f"{url}/{first.json()['id']}/follow-up",
        {"note": "Fortfarande lat.", "acknowledge": True}, content_type="application/json",
    )  # fmt: skip
    assert followed.status_code == 200, followed.content
    # Then each agreement counts once in the statistics, the follow-up again
    with schema_context(TENANT_A.slug):
        refs = sorted(Acknowledgement.objects.values_list("document_ref", "value_judgement"))
    assert refs == sorted(
        [
            (f"talks.agreement:{first.json()['id']}", 1),
            (f"talks.agreement:{first.json()['id']}", 1),
            (f"talks.agreement:{second.json()['id']}", 1),
        ]
    )
