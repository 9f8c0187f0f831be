"""Plans and plan templates over HTTP: the flow, who sees what, refusals that change nothing,
and the other municipality."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from documentation.plans.models import PedagogicalPlan, PlanTemplate, TemplateScope
from tests.access.http import signed_in_client
from tests.access.world import World
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.plans.support import (
    CC_1,
    FLAGGED,
    KR_E,
    OLD_CC_GONE,
    OLD_CC_KEPT,
    OLD_VERSION,
    PERIOD,
    SUBJECT,
    VERSION,
    log_entries,
    plan_make,
    rows,
)

ClientFor = Callable[[str], Client]


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(path, body or {}, content_type="application/json")


def new_plan(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "group_id": world.groups["5A"].pk,
        "title": "Bråk och procent",
        "subject_code": SUBJECT,
        "period_start": PERIOD[0].isoformat(),
        "period_end": PERIOD[1].isoformat(),
        "description_html": '<h2>Mål</h2><p onmouseover="x()">Vi <em>räknar</em></p>',
        "teaching_forms": "Genomgång, par",
        "assessment_forms": "Exit tickets",
        "central_content_keys": [CC_1],
        "knowledge_requirement_keys": [KR_E],
        **fields,
    }


def test_a_teacher_writes_publishes_edits_and_archives_a_plan(
    world: World, client_for: ClientFor
) -> None:
    teacher = client_for("teacher_5a")
    # Create: a sanitised draft bound to today's version
    created = call(teacher, "post", "/api/v1/plans", new_plan(world))
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert plan["status"] == "draft"
    assert plan["current_version"] == 0
    assert plan["description_html"] == "<h2>Mål</h2><p>Vi <em>räknar</em></p>"
    assert plan["curriculum_version"] == VERSION
    assert plan["group"] == {"id": world.groups["5A"].pk, "name": "5A"}
    assert plan["template_references_left_out"] == []
    path = f"/api/v1/plans/{plan['id']}"
    # Edit the draft, publish it, edit it again
    assert call(teacher, "patch", path, {"assessment_forms": "Diagnos"}).status_code == 200
    published = call(teacher, "post", f"{path}/publish")
    assert published.status_code == 200
    assert (published.json()["status"], published.json()["current_version"]) == ("published", 1)
    edited = call(teacher, "patch", path, {"title": "Bråk och procent, v. 2"})
    assert edited.json()["current_version"] == 2
    # The versions are the official record, oldest first
    versions = teacher.get(f"{path}/versions").json()
    assert [(v["version"], v["snapshot"]["title"]) for v in versions["versions"]] == [
        (1, "Bråk och procent"),
        (2, "Bråk och procent, v. 2"),
    ]
    assert versions["versions"][0]["snapshot"]["assessment_forms"] == "Diagnos"
    # Delete is refused with the reason; archive keeps the plan out of the default list
    refused = teacher.delete(path)
    assert (refused.status_code, refused.json()["code"]) == (405, "archive_instead")
    assert call(teacher, "post", f"{path}/archive").json()["status"] == "archived"
    assert teacher.get("/api/v1/plans").json()["results"] == []
    archived = teacher.get("/api/v1/plans", {"archived": "true"}).json()["results"]
    assert [p["id"] for p in archived] == [plan["id"]]
    assert call(teacher, "patch", path, {"title": "x"}).status_code == 400
    with schema_context(TENANT_A.slug):
        assert PedagogicalPlan.objects.filter(pk=plan["id"]).exists()


def test_bad_input_answers_400_with_the_field(world: World, client_for: ClientFor) -> None:
    teacher = client_for("teacher_5a")
    before = rows()
    for body, field in (
        (new_plan(world, central_content_keys=[OLD_CC_KEPT]), "central_content_keys"),
        (new_plan(world, subject_code="NOPE"), "subject_code"),
        (new_plan(world, colour="red"), "colour"),
        (new_plan(world, period_start="soon"), "period_start"),
        (new_plan(world, period_end=PERIOD[0].replace(year=2025).isoformat()), "period_end"),
    ):
        response = call(teacher, "post", "/api/v1/plans", body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), response.json()
    # neither a group nor an activity
    body = new_plan(world)
    del body["group_id"]
    response = call(teacher, "post", "/api/v1/plans", body)
    assert response.status_code == 400
    assert "group or for an activity" in str(response.json())
    assert rows() == before


@pytest.mark.parametrize(
    "extra",
    [{"grade": "A"}, {"betyg": "C"}, {"attendance": 0.9}, {"franvaro": "2 dagar"}],
)
def test_grades_and_attendance_are_refused_with_the_reason(
    world: World, client_for: ClientFor, extra: dict[str, Any]
) -> None:
    teacher = client_for("teacher_5a")
    with schema_context(TENANT_A.slug):
        plan = plan_make(world)
    before = rows()
    for method, path, body in (
        ("post", "/api/v1/plans", new_plan(world, **extra)),
        ("patch", f"/api/v1/plans/{plan.pk}", extra),
    ):
        response = call(teacher, method, path, body)
        assert response.status_code == 400
        assert response.json()["code"] == "out_of_scope"
        assert "Skola24" in response.json()["detail"] or "register" in response.json()["detail"]
    assert rows() == before


def test_text_guard_findings_answer_422_until_acknowledged(
    world: World, client_for: ClientFor
) -> None:
    teacher = client_for("teacher_5a")
    before = rows()
    refused = call(teacher, "post", "/api/v1/plans", new_plan(world, teaching_forms=FLAGGED))
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "text_guard"
    (finding,) = body["findings"]
    assert finding["field"] == "teaching_forms"
    assert FLAGGED[finding["start"] : finding["end"]] == finding["text"]
    assert set(finding) == {"field", "start", "end", "text", "category", "suggestion"}
    assert rows() == before
    body = new_plan(world, teaching_forms=FLAGGED, acknowledge=True)
    assert call(teacher, "post", "/api/v1/plans", body).status_code == 201


def test_pupils_and_guardians_see_published_plans_of_their_groups_only(
    world: World, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        published = plan_make(world, published=True, title="Publicerad 5A")
        draft = plan_make(world, title="Utkast 5A")
        other_group = plan_make(world, group="8B", author="mentor_8b", published=True)
    for name in ("pupil_p5a_1", "mother_p5a_1", "father_p5a_1"):
        client = client_for(name)
        listed = client.get("/api/v1/plans").json()["results"]
        assert [p["title"] for p in listed] == ["Publicerad 5A"], name
        assert client.get(f"/api/v1/plans/{published.pk}").status_code == 200
        assert client.get(f"/api/v1/plans/{published.pk}/versions").status_code == 200
        for hidden in (draft, other_group):
            assert client.get(f"/api/v1/plans/{hidden.pk}").status_code == 404
            assert client.get(f"/api/v1/plans/{hidden.pk}/versions").status_code == 404


def test_staff_without_a_relation_get_404_and_nothing_changes(
    world: World, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        draft = plan_make(world)
        published = plan_make(world, published=True)
    before = rows()
    outsider = client_for("teacher_ma8b")
    assert outsider.get("/api/v1/plans").json()["results"] == []
    for plan in (draft, published):
        path = f"/api/v1/plans/{plan.pk}"
        assert outsider.get(path).status_code == 404
        assert outsider.get(f"{path}/versions").status_code == 404
        assert call(outsider, "patch", path, {"title": "Mitt nu"}).status_code == 404
        assert call(outsider, "post", f"{path}/publish").status_code == 404
        assert call(outsider, "post", f"{path}/archive").status_code == 404
    body = new_plan(world)  # for 5A
    assert call(outsider, "post", "/api/v1/plans", body).status_code == 404
    # a guardian reads the published plan but cannot change it
    mother = client_for("mother_p5a_1")
    assert call(mother, "patch", f"/api/v1/plans/{published.pk}", {"title": "x"}).status_code == 404
    assert call(mother, "post", f"/api/v1/plans/{published.pk}/archive").status_code == 404
    assert call(mother, "post", "/api/v1/plans", body).status_code == 404
    assert rows() == before


def test_staff_need_the_second_factor(world: World) -> None:
    from tests.accounts.support import sign_in

    with schema_context(TENANT_A.slug):
        plan = plan_make(world, published=True)
    client = Client(HTTP_HOST=TENANT_A.domain)
    assert sign_in(client, world.users["teacher_5a"].username).status_code == 302
    before = len(log_entries())
    for path in ("/api/v1/plans", f"/api/v1/plans/{plan.pk}", "/api/v1/plan-templates"):
        response = client.get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "second_factor_required"
    assert len(log_entries()) == before


def test_another_municipality_sees_nothing(world: World, world_b: World) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_make(world, published=True)
    before = rows()
    # A's session means nothing on B's host
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["teacher_5a"])
    client.defaults["HTTP_HOST"] = TENANT_B.domain
    for method, path in (
        ("get", "/api/v1/plans"),
        ("get", f"/api/v1/plans/{plan.pk}"),
        ("get", f"/api/v1/plans/{plan.pk}/versions"),
        ("patch", f"/api/v1/plans/{plan.pk}"),
        ("post", f"/api/v1/plans/{plan.pk}/archive"),
        ("get", "/api/v1/plan-templates"),
    ):
        assert call(client, method, path).status_code == 403, path
    # B's own teacher of "5A" does not reach A's plan by its id
    teacher_b = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    assert teacher_b.get("/api/v1/plans").json()["results"] == []
    assert teacher_b.get(f"/api/v1/plans/{plan.pk}").status_code == 404
    assert call(teacher_b, "patch", f"/api/v1/plans/{plan.pk}", {"title": "x"}).status_code == 404
    assert rows() == before
    assert rows(TENANT_B.slug)["PedagogicalPlan"] == []
    assert log_entries(TENANT_A.slug) == []


# --- Templates -----------------------------------------------------------------------------------


def test_templates_are_shared_and_turned_into_plans_in_one_request(
    world: World, client_for: ClientFor
) -> None:
    principal = client_for("principal_norra")
    norra = world.groups["5A"].organisation.parent_id
    created = call(
        principal,
        "post",
        "/api/v1/plan-templates",
        {
            "scope": "organisation",
            "organisation_id": norra,
            "title": "Taluppfattning",
            "subject_code": SUBJECT,
            "description_html": "<p>Mall<script>x</script></p>",
            "central_content_keys": [CC_1],
        },
    )
    assert created.status_code == 201, created.json()
    template = created.json()
    assert template["description_html"] == "<p>Mall</p>"
    assert template["organisation"]["id"] == norra
    with schema_context(TENANT_A.slug):
        old = PlanTemplate.objects.create(
            scope=TemplateScope.MUNICIPALITY,
            title="Gammal mall",
            subject_code=SUBJECT,
            curriculum_version=OLD_VERSION,
            central_content_keys=[OLD_CC_KEPT, OLD_CC_GONE],
            created_by=world.users["principal_norra"],
        )
    teacher = client_for("teacher_5a")
    listed = teacher.get("/api/v1/plan-templates", {"subject": SUBJECT}).json()["results"]
    assert {t["title"] for t in listed} == {"Taluppfattning", "Gammal mall"}
    # One request: a plan for 5A from the old template
    response = call(
        teacher,
        "post",
        "/api/v1/plans",
        {
            "template_id": old.pk,
            "group_id": world.groups["5A"].pk,
            "period_start": PERIOD[0].isoformat(),
            "period_end": PERIOD[1].isoformat(),
        },
    )
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert (plan["title"], plan["template_id"], plan["curriculum_version"]) == (
        "Gammal mall",
        old.pk,
        VERSION,
    )
    assert plan["central_content_keys"] == [CC_1]
    assert plan["template_references_left_out"] == [OLD_CC_GONE]
    # Södra's teacher sees the municipality's template, not Norra's
    idle = client_for("teacher_idle")
    assert [t["title"] for t in idle.get("/api/v1/plan-templates").json()["results"]] == [
        "Gammal mall"
    ]
    response = call(
        idle,
        "post",
        "/api/v1/plans",
        {
            "template_id": template["id"],
            "group_id": world.groups["3C"].pk,
            "period_start": PERIOD[0].isoformat(),
            "period_end": PERIOD[1].isoformat(),
        },
    )
    assert response.status_code == 404


def test_pupils_and_guardians_have_no_templates(world: World, client_for: ClientFor) -> None:
    before = rows()
    mother = client_for("mother_p5a_1")
    assert mother.get("/api/v1/plan-templates").json()["results"] == []
    body = {"scope": "municipality", "title": "x", "subject_code": SUBJECT}
    assert call(mother, "post", "/api/v1/plan-templates", body).status_code == 403
    teacher = client_for("teacher_5a")
    assert call(teacher, "post", "/api/v1/plan-templates", body).status_code == 403
    assert rows() == before
