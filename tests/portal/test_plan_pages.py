"""The portal's plan pages: a new plan (blank or from a template), the editor with the
curriculum picker (autosave, filtering, the text guard inline), publishing, the version history,
what pupils and guardians read, need-to-know, other municipalities, and the read log."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from access.policy import Actor
from documentation.plans.models import PedagogicalPlan, PlanHistory, PlanVersion
from documentation.plans.services.plans import plan_create, plan_publish
from documentation.plans.services.templates import template_create
from documentation.textguard.models import Acknowledgement
from portal.plan_forms import description_html, description_text
from tests.access.http import signed_in_client
from tests.access.world import World
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.plans import conftest as plans_fixtures
from tests.documentation.plans.support import (
    CC_1,
    CC_2,
    FLAGGED,
    KR_E,
    PERIOD,
    SUBJECT,
    VERSION,
    log_entries,
    plan_make,
    rows,
)

# The plans tests' world (a syllabus in public, the generated school in both municipalities).
world = plans_fixtures.world
world_b = plans_fixtures.world_b
actor = plans_fixtures.actor
client_for = plans_fixtures.client_for

HTMX = {"HTTP_HX_REQUEST": "true"}
ActorOf = Callable[[str], Actor]
ClientFor = Callable[[str], Client]


def draft(actor: ActorOf, world: World, author: str = "teacher_5a") -> PedagogicalPlan:
    with schema_context(TENANT_A.slug):
        return plan_create(
            actor=actor(author),
            group_id=world.groups["5A"].pk,
            title="Bråk och decimaltal",
            subject_code=SUBJECT,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            description_html="<p>Vi arbetar med bråk.</p>",
            central_content_keys=[CC_1],
        )


def editor_form(plan: PedagogicalPlan, **changes: object) -> dict[str, object]:
    """What the editor posts for ``plan`` as stored, with ``changes``."""
    form: dict[str, object] = {
        "title": plan.title,
        "subject_code": plan.subject_code,
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "description": "Vi arbetar med bråk.",
        "teaching_forms": plan.teaching_forms,
        "assessment_forms": plan.assessment_forms,
        "central_content_keys": list(plan.central_content_keys),
        "knowledge_requirement_keys": list(plan.knowledge_requirement_keys),
    }
    form.update(changes)
    return form


def stored(plan_id: int) -> PedagogicalPlan:
    with schema_context(TENANT_A.slug):
        return PedagogicalPlan.objects.get(pk=plan_id)


def checkbox(html: str, ref: str) -> str:
    """The picker's checkbox for ``ref`` with its wrapper (``hidden`` when filtered out)."""
    found = re.search(
        r'<div class="check"( hidden)?><input type="checkbox"[^>]*value="'
        + re.escape(ref)
        + r'"[^>]*>',
        html,
    )
    assert found, f"no checkbox for {ref}"
    return found.group(0)


# --- A new plan ----------------------------------------------------------------------------


def test_a_teacher_creates_a_plan_for_their_class_and_gets_the_picker(
    world: World, client_for: ClientFor
) -> None:
    # Given the teacher of 5A on the new-plan page, offered today's syllabi
    teacher = client_for("teacher_5a")
    group = world.groups["5A"]
    page = teacher.get(f"/groups/{group.pk}/plans/new/").content.decode()
    assert f'<option value="{SUBJECT}">Matematik ({SUBJECT})</option>' in page
    assert f'<option value="group:{group.pk}" selected>5A</option>' in page
    # When they create a blank plan for the class
    response = teacher.post(
        f"/groups/{group.pk}/plans/new/",
        {
            "title": "Bråk och decimaltal",
            "target": f"group:{group.pk}",
            "subject_code": SUBJECT,
            "period_start": "2026-01-12",
            "period_end": "2026-03-27",
        },
    )
    # Then a draft bound to today's syllabus version exists and the editor opens on it
    with schema_context(TENANT_A.slug):
        plan = PedagogicalPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert (plan.group_id, plan.author_id, plan.published_at) == (
        group.pk,
        world.users["teacher_5a"].pk,
        None,
    )
    assert (plan.subject_code, plan.curriculum_version) == (SUBJECT, VERSION)
    editor = teacher.get(f"/plans/{plan.pk}/").content.decode()
    # with the subject's items to tick, none ticked yet
    for ref in (CC_1, CC_2, KR_E):
        assert "checked" not in checkbox(editor, ref)
    assert "Eleven kan lösa enkla problem." in editor
    assert "Draft: only staff see it" in editor


def test_a_plan_from_a_template_takes_its_content(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    # Given a municipality template with a linked requirement
    with schema_context(TENANT_A.slug):
        template = template_create(
            actor=actor("municipality_admin"),
            scope="municipality",
            title="Geometri åk 5",
            subject_code=SUBJECT,
            teaching_forms="Vi bygger figurer.",
            knowledge_requirement_keys=[KR_E],
        )
    teacher = client_for("teacher_5a")
    group = world.groups["5A"]
    # When the teacher starts from it, leaving title and subject to the template
    page = teacher.get(f"/groups/{group.pk}/plans/new/").content.decode()
    assert f'<option value="{template.pk}">Geometri åk 5</option>' in page
    response = teacher.post(
        f"/groups/{group.pk}/plans/new/",
        {
            "template": template.pk,
            "target": f"group:{group.pk}",
            "period_start": "2026-01-12",
            "period_end": "2026-03-27",
        },
    )
    # Then the plan has the template's content
    with schema_context(TENANT_A.slug):
        plan = PedagogicalPlan.objects.get()
    assert response.status_code == 302
    assert (plan.title, plan.subject_code, plan.template_id) == (
        "Geometri åk 5",
        SUBJECT,
        template.pk,
    )
    assert (plan.teaching_forms, plan.knowledge_requirement_keys) == ("Vi bygger figurer.", [KR_E])


def test_a_new_plan_without_title_or_subject_is_refused_field_by_field(
    world: World, client_for: ClientFor
) -> None:
    # When the teacher sends no title, no subject and a period that ends before it starts
    before = rows()
    group = world.groups["5A"]
    response = client_for("teacher_5a").post(
        f"/groups/{group.pk}/plans/new/",
        {"target": f"group:{group.pk}", "period_start": "2026-03-27", "period_end": "2026-01-12"},
    )
    # Then the form says what is wrong next to each field, and nothing is written
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_title_error"' in html
    assert "A plan needs a title." in html
    assert 'id="id_subject_code_error"' in html
    assert "A plan is for a subject." in html
    assert 'id="id_period_end_error"' in html
    assert "The period ends before it starts." in html
    assert rows() == before


# --- The editor: picker, autosave, text guard ---------------------------------------------


def test_autosave_saves_the_ticked_items_and_saving_the_same_again_writes_nothing(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    # Given a draft with one central content item
    plan = draft(actor, world)
    teacher = client_for("teacher_5a")
    form = editor_form(
        plan,
        central_content_keys=[CC_1, CC_2],
        knowledge_requirement_keys=[KR_E],
        teaching_forms="Vi arbetar i par.",
    )
    # When the page autosaves twice with the same form
    first = teacher.post(f"/plans/{plan.pk}/autosave/", form, **HTMX)
    with schema_context(TENANT_A.slug):
        history = PlanHistory.objects.filter(plan=plan).count()
    second = teacher.post(f"/plans/{plan.pk}/autosave/", form, **HTMX)
    # Then the references and the text are saved once, the status says so, the stored
    # description (unchanged text) is left as it was
    saved = stored(plan.pk)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content.decode().startswith("Saved ")
    assert saved.central_content_keys == [CC_1, CC_2]
    assert saved.knowledge_requirement_keys == [KR_E]
    assert saved.teaching_forms == "Vi arbetar i par."
    assert saved.description_html == "<p>Vi arbetar med bråk.</p>"
    with schema_context(TENANT_A.slug):
        assert PlanHistory.objects.filter(plan=plan).count() == history == 2


def test_the_description_is_written_as_paragraphs_and_lists(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    plan = draft(actor, world)
    text = "Vi räknar med bråk.\n\n- tallinjen\n- <jämföra> bråk"
    # When the teacher writes a paragraph and a list and saves without JavaScript
    response = client_for("teacher_5a").post(
        f"/plans/{plan.pk}/", editor_form(plan, description=text, action="save")
    )
    # Then it is stored as escaped HTML, and the editor shows the text again
    assert response.status_code == 302
    assert stored(plan.pk).description_html == (
        "<p>Vi räknar med bråk.</p><ul><li>tallinjen</li><li>&lt;jämföra&gt; bråk</li></ul>"
    )
    editor = client_for("teacher_5a").get(f"/plans/{plan.pk}/").content.decode()
    assert "Vi räknar med bråk.\n\n- tallinjen\n- &lt;jämföra&gt; bråk</textarea>" in editor


def test_the_picker_filters_as_you_type_and_keeps_what_is_ticked(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    plan = draft(actor, world)
    teacher = client_for("teacher_5a")
    # When the teacher types "geometri" with CC_1 ticked (htmx posts the form and the words)
    response = teacher.post(
        f"/plans/{plan.pk}/curriculum/", editor_form(plan, q="geometri"), **HTMX
    )
    # Then the matching items and the ticked one show; the others stay in the form, hidden
    html = response.content.decode()
    assert response.status_code == 200
    assert checkbox(html, CC_2).startswith('<div class="check"><input')
    assert checkbox(html, CC_1).startswith('<div class="check"><input')
    assert "checked" in checkbox(html, CC_1)
    assert checkbox(html, KR_E).startswith('<div class="check" hidden>')
    assert (
        '<p id="picker-count" class="hint" role="status" hx-swap-oob="true">'
        "2 items shown.</p>" in html
    )
    # And without JavaScript the Filter button posts the plan's form as typed: the page comes
    # back filtered, with the unsaved title and the ticks kept, and nothing is saved
    title = stored(plan.pk).title
    response = teacher.post(
        f"/plans/{plan.pk}/",
        editor_form(plan, title="Bråk och geometri", q="geometri", action="filter"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert checkbox(page, KR_E).startswith('<div class="check" hidden>')
    assert "checked" in checkbox(page, CC_1)
    assert 'name="q" value="geometri"' in page
    assert 'value="Bråk och geometri"' in page
    assert "Filtered. Your changes are not saved yet: save with the button." in page
    assert (stored(plan.pk).title, stored(plan.pk).central_content_keys) == (title, [CC_1])
    # And a link to the editor with the words shows it filtered
    page = teacher.get(f"/plans/{plan.pk}/?q=geometri").content.decode()
    assert checkbox(page, KR_E).startswith('<div class="check" hidden>')


def test_another_subject_drops_the_old_ticks_and_swaps_the_picker(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    from curriculum.models import CentralContent, Subject

    with schema_context("public"):
        swedish = Subject.objects.create(code="GRGRSVE01", version=9, name="Svenska")
        CentralContent.objects.create(
            subject=swedish,
            code="GRGRSVE01",
            version=9,
            key="cc.4-6.las",
            position=1,
            text="Lässtrategier.",
            year_span="4-6",
        )
    plan = draft(actor, world)
    # When the teacher picks Swedish (the autosave posts the old subject's ticks)
    response = client_for("teacher_5a").post(
        f"/plans/{plan.pk}/autosave/", editor_form(plan, subject_code="GRGRSVE01"), **HTMX
    )
    # Then the plan is Swedish at today's version with no references, and the picker is swapped
    html = response.content.decode()
    saved = stored(plan.pk)
    assert (saved.subject_code, saved.curriculum_version, saved.central_content_keys) == (
        "GRGRSVE01",
        9,
        [],
    )
    assert '<div id="picker-items" hx-swap-oob="true">' in html
    assert "Lässtrategier." in html


def test_a_forged_reference_is_refused_and_nothing_changes(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    plan = draft(actor, world)
    before = rows()
    # When a reference of another version is posted
    response = client_for("teacher_5a").post(
        f"/plans/{plan.pk}/autosave/",
        editor_form(plan, central_content_keys=[f"{SUBJECT}:2:cc.4-6.tal"], title="Ny titel"),
        **HTMX,
    )
    # Then the status says why and nothing is written
    assert response.status_code == 200
    assert response.content.decode().startswith(
        f"Not saved: {SUBJECT}:2:cc.4-6.tal: not of the subject version {VERSION}"
    )
    assert rows() == before


def test_the_text_guard_stops_an_autosave_until_the_teacher_acknowledges(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    plan = draft(actor, world)
    teacher = client_for("teacher_5a")
    before = rows()
    # When the teacher writes a value judgement about pupils
    refused = teacher.post(
        f"/plans/{plan.pk}/autosave/", editor_form(plan, teaching_forms=FLAGGED), **HTMX
    )
    # Then nothing is saved, the finding shows next to the field with the acknowledgement box
    html = refused.content.decode()
    assert html.startswith("Not saved: check the wording marked below")
    assert '<div id="findings-teaching_forms" class="findings" hx-swap-oob="true">' in html
    assert "<mark>lat</mark>" in html
    assert 'name="acknowledge"' in html
    assert rows() == before
    # When they tick the box, the text is saved and the acknowledgement recorded
    saved = teacher.post(
        f"/plans/{plan.pk}/autosave/",
        editor_form(plan, teaching_forms=FLAGGED, acknowledge="1", findings_shown="1"),
        **HTMX,
    )
    assert saved.content.decode().startswith("Saved ")
    assert stored(plan.pk).teaching_forms == FLAGGED
    with schema_context(TENANT_A.slug):
        assert list(Acknowledgement.objects.values_list("document_ref", flat=True)) == [
            f"plans.plan:{plan.pk}"
        ]


# --- Publishing, versions, and what the family reads ---------------------------------------


def test_publishing_asks_for_the_wording_then_the_family_reads_the_plan(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    # Given a draft the pupil and her guardian cannot see yet
    plan = draft(actor, world)
    pupil, mother = client_for("pupil_p5a_1"), client_for("mother_p5a_1")
    alva = world.people["p5a_1"].pk
    assert pupil.get(f"/plans/{plan.pk}/").status_code == 404
    assert "Bråk och decimaltal" not in pupil.get(f"/pupils/{alva}/").content.decode()
    teacher = client_for("teacher_5a")
    # When the teacher publishes it from the editor's confirmation page
    confirm = teacher.get(f"/plans/{plan.pk}/publish/")
    assert "What they will read" in confirm.content.decode()
    response = teacher.post(f"/plans/{plan.pk}/publish/")
    # Then it is version 1, and the pupil and the guardian find it on the pupil page
    assert response.status_code == 302
    saved = stored(plan.pk)
    assert (saved.current_version, saved.published_at is not None) == (1, True)
    for family, path in ((pupil, f"/pupils/{alva}/"), (mother, f"/children/{alva}/")):
        page = family.get(path).content.decode()
        assert (
            f'<li id="plan-{plan.pk}"><a href="/plans/{plan.pk}/">Bråk och decimaltal</a>' in page
        )
        # and read it, with the linked curriculum's text, without an editor
        detail = family.get(f"/plans/{plan.pk}/").content.decode()
        assert "<p>Vi arbetar med bråk.</p>" in detail
        assert "Innehåll cc.4-6.tal" in detail
        assert 'id="plan-form"' not in detail
        assert family.post(f"/plans/{plan.pk}/", editor_form(saved, title="X")).status_code == 404
    assert stored(plan.pk).title == "Bråk och decimaltal"


def test_publishing_stored_flagged_text_needs_its_own_acknowledgement(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_create(
            actor=actor("teacher_5a"),
            group_id=world.groups["5A"].pk,
            title="Bråk",
            subject_code=SUBJECT,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            teaching_forms=FLAGGED,
            acknowledge=True,
        )
    teacher = client_for("teacher_5a")
    # When the teacher publishes without ticking the box
    refused = teacher.post(f"/plans/{plan.pk}/publish/")
    # Then it stays a draft and the page shows the finding
    assert refused.status_code == 200
    assert "Not published: confirm that you have checked the wording." in refused.content.decode()
    assert stored(plan.pk).published_at is None
    # With the box ticked it is published
    assert teacher.post(f"/plans/{plan.pk}/publish/", {"acknowledge": "1"}).status_code == 302
    assert stored(plan.pk).published_at is not None


def test_a_published_plan_is_saved_on_purpose_as_a_new_version_with_history(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    plan = draft(actor, world)
    with schema_context(TENANT_A.slug):
        plan_publish(actor=actor("teacher_5a"), plan_id=plan.pk)
    plan = stored(plan.pk)
    teacher = client_for("teacher_5a")
    # The autosave of a published plan checks the wording but saves nothing
    autosave = teacher.post(
        f"/plans/{plan.pk}/autosave/", editor_form(plan, title="Bråk, del 2"), **HTMX
    )
    assert autosave.content.decode().startswith("Not saved yet: save your changes with the button.")
    assert stored(plan.pk).current_version == 1
    # Saving with the button makes version 2; the history shows both, read-only
    assert (
        teacher.post(
            f"/plans/{plan.pk}/", editor_form(plan, title="Bråk, del 2", action="save")
        ).status_code
        == 302
    )
    assert stored(plan.pk).current_version == 2
    history = client_for("mother_p5a_1").get(f"/plans/{plan.pk}/versions/").content.decode()
    assert re.findall(r'<h2 id="version-(\d)">', history) == ["1", "2"]
    assert "<dd>Bråk, del 2</dd>" in history
    assert "<dd>Bråk och decimaltal</dd>" in history
    with schema_context(TENANT_A.slug):
        assert PlanVersion.objects.filter(plan=plan).count() == 2


# --- Who may, and the read log -------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["teacher_ma8b", "school_admin_norra", "municipality_admin", "pupil_p5a_1"]
)
def test_others_get_404_for_every_plan_page_and_nothing_changes(
    world: World, actor: ActorOf, client_for: ClientFor, name: str
) -> None:
    # Given a draft of 5A, and someone who neither teaches nor leads 5A
    plan = draft(actor, world)
    before = rows()
    other = client_for(name)
    group = world.groups["5A"].pk
    # When they try every page and every write
    answers = [
        other.get(f"/plans/{plan.pk}/").status_code,
        other.post(f"/plans/{plan.pk}/", editor_form(plan, title="X")).status_code,
        other.post(f"/plans/{plan.pk}/autosave/", editor_form(plan, title="X"), **HTMX).status_code,
        other.post(f"/plans/{plan.pk}/curriculum/", editor_form(plan), **HTMX).status_code,
        other.get(f"/plans/{plan.pk}/publish/").status_code,
        other.post(f"/plans/{plan.pk}/publish/", {"acknowledge": "1"}).status_code,
        other.get(f"/plans/{plan.pk}/versions/").status_code,
        other.get(f"/groups/{group}/plans/").status_code,
        other.get(f"/groups/{group}/plans/new/").status_code,
        other.post(
            f"/groups/{group}/plans/new/",
            {
                "title": "X",
                "target": f"group:{group}",
                "subject_code": SUBJECT,
                "period_start": "2026-01-12",
                "period_end": "2026-03-27",
            },
        ).status_code,
    ]
    # Then everything is "not found", as for a plan that does not exist
    assert answers == [404] * len(answers)
    assert other.get("/plans/999999/").status_code == 404
    assert rows() == before


def test_another_municipality_cannot_reach_a_plan(
    world: World, world_b: World, actor: ActorOf
) -> None:
    plan = draft(actor, world)
    before = rows()
    # Given the teacher of 5A in Borås (the same ids may exist there)
    teacher_b = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    # When they ask for Ale's plan on their own host
    answers = [
        teacher_b.get(f"/plans/{plan.pk}/").status_code,
        teacher_b.post(
            f"/plans/{plan.pk}/autosave/", editor_form(plan, title="X"), **HTMX
        ).status_code,
        teacher_b.post(f"/plans/{plan.pk}/publish/", {"acknowledge": "1"}).status_code,
    ]
    # Then there is no such plan in Borås, and Ale's is unchanged
    assert answers == [404, 404, 404]
    assert rows() == before


def test_each_plan_page_writes_one_read_log_entry_naming_no_pupil(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    plan = draft(actor, world)
    teacher = client_for("teacher_5a")
    with schema_context(TENANT_A.slug):
        logged = len(log_entries())
    # When the teacher opens the editor
    assert teacher.get(f"/plans/{plan.pk}/").status_code == 200
    # Then one entry says who read which plan
    entries = log_entries()[logged:]
    assert [(e.resource, e.object_ref, e.pupil_ids, e.actor_role) for e in entries] == [
        ("portal.plan.detail", f"plan:{plan.pk}", [], "staff")
    ]


def test_my_plans_lists_plans_with_a_constant_number_of_queries(
    world: World, client_for: ClientFor, count_queries: type
) -> None:
    teacher = client_for("teacher_5a")

    def queries_for(count: int) -> int:
        with schema_context(TENANT_A.slug):
            for n in range(count):
                plan_make(world, title=f"Plan {n}", published=n % 2 == 0)
        with count_queries() as counted:
            page = teacher.get("/plans/")
        assert page.status_code == 200
        return counted.count

    # Given 2 plans, then 10: the list page costs the same
    few = queries_for(2)
    many = queries_for(8)
    assert few == many
    page = teacher.get("/plans/").content.decode()
    assert page.count('<td><a href="/plans/') == 10
    assert f'href="/groups/{world.groups["5A"].pk}/plans/new/"' in page


def test_the_editor_shows_stored_html_as_paragraphs_and_list_items() -> None:
    # Given a description written through the API, with a heading, emphasis and a list
    html = (
        "<h2>Mål</h2><p>Vi <strong>räknar</strong><br>varje dag</p>"
        "<ul><li>bråk</li><li>tal</li></ul>"
    )
    # When the editor turns it into text, and that text back into HTML
    text = description_text(html)
    # Then blocks are paragraphs and list items "- " lines; emphasis is not shown
    assert text == "Mål\n\nVi räknar\nvarje dag\n\n- bråk\n- tal"
    assert description_html(text) == (
        "<p>Mål</p><p>Vi räknar<br>varje dag</p><ul><li>bråk</li><li>tal</li></ul>"
    )


def test_staff_see_the_groups_drafts_on_the_pupil_page_marked(
    world: World, actor: ActorOf, client_for: ClientFor
) -> None:
    # Given a draft for 5A
    plan = draft(actor, world)
    # When the special needs teacher of 5A opens a pupil of 5A
    page = client_for("specped_5a").get(f"/pupils/{world.people['p5a_1'].pk}/").content.decode()
    # Then the plan is listed, marked as a draft only staff see
    assert re.search(
        rf'<li id="plan-{plan.pk}"><a href="/plans/{plan.pk}/">Bråk och decimaltal</a> '
        r"\(Matematik, [^)]+\) <strong class=\"tag tag-staff\">Draft: only staff see it</strong>",
        page,
    )
