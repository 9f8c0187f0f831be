"""The portal's lärlogg: a pupil's entries (newest first, staff-only marked), the quick form with
the text guard inline, editing one's own entries, the family's view, need-to-know, the read log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from documentation.plans.models import FormativeEntry
from documentation.textguard.models import Acknowledgement
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.plans.support import (
    FLAGGED,
    entry_make,
    log_entries,
    plan_make,
    rows,
    syllabus_make,
)

TODAY = timezone.localdate()


@pytest.fixture
def world(tenant_a: object) -> World:
    syllabus_make()
    with schema_context(TENANT_A.slug):
        return build_world()


def client_for(world: World, name: str) -> Client:
    return signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[name])


def log_path(world: World, pupil: str = "p5a_1") -> str:
    return f"/pupils/{world.people[pupil].pk}/learning-log/"


def note(text: str, visibility: str = "pupil_guardians", **extra: Any) -> dict[str, Any]:
    return {"text": text, "visibility": visibility, "plan": "", "date": TODAY.isoformat()} | extra


def acknowledgements() -> int:
    with schema_context(TENANT_A.slug):
        return Acknowledgement.objects.count()


# --- Writing -----------------------------------------------------------------------------------


def test_a_teacher_adds_a_note_tied_to_a_plan_and_it_is_listed_newest_first(world: World) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_make(world)
        older = entry_make(world, text="Äldre anteckning.", visibility="staff")
        FormativeEntry.objects.filter(pk=older.pk).update(date=TODAY - dt.timedelta(days=3))
    teacher = client_for(world, "teacher_5a")
    # Given the pupil's learning log: the form offers the class's plan
    page = teacher.get(log_path(world)).content.decode()
    assert f'<option value="{plan.pk}">Bråk och decimaltal (GRGRMAT01)</option>' in page
    # When the teacher saves a note for the pupil and guardians, tied to the plan
    response = teacher.post(log_path(world), note("Förklarade bråk med egna ord.", plan=plan.pk))
    # Then it is written through the service, published, and the page lists it first
    assert response.status_code == 302
    assert response["Location"] == log_path(world)
    with schema_context(TENANT_A.slug):
        entry = FormativeEntry.objects.exclude(pk=older.pk).get()
    assert (entry.pupil_id, entry.plan_id, entry.visibility, entry.author_id, entry.date) == (
        world.people["p5a_1"].pk,
        plan.pk,
        "pupil_guardians",
        world.users["teacher_5a"].pk,
        TODAY,
    )
    assert entry.published_at is not None
    html = teacher.get(log_path(world)).content.decode()
    assert html.index("Förklarade bråk med egna ord.") < html.index("Äldre anteckning.")
    # And the staff-only note is marked as such (once: the new note is shared)
    assert html.count("Only staff see it</strong>") == 1


def test_the_text_guard_finding_is_shown_inline_and_the_note_saved_once_acknowledged(
    world: World,
) -> None:
    teacher = client_for(world, "teacher_5a")
    before = rows()
    # When the teacher types a value judgement, the check beside the text (as htmx sends it)
    # shows the finding and the box to keep the wording, and saves nothing
    typed = teacher.post(
        "/text-guard/findings/", note(FLAGGED) | {"findings_shown": "0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert '<div id="findings-text" class="findings" hx-swap-oob="true">' in typed
    assert "<mark>lat</mark>" in typed
    assert 'name="acknowledge" id="acknowledge"' in typed
    # When the note is saved without ticking the box: refused, the finding at the text
    refused = teacher.post(log_path(world), note(FLAGGED))
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Not saved: check the wording marked below" in html
    slot = html.split('<div id="findings-text" class="findings">', 1)[1].split("</div>")[0]
    assert "<mark>lat</mark>" in slot
    assert f"{FLAGGED}</textarea>" in html
    assert rows() == before
    assert acknowledgements() == 0
    # When the teacher ticks the box and saves
    saved = teacher.post(log_path(world), note(FLAGGED, acknowledge="1"))
    # Then the note is saved and the acknowledgement recorded
    assert saved.status_code == 302
    with schema_context(TENANT_A.slug):
        assert list(FormativeEntry.objects.values_list("text", flat=True)) == [FLAGGED]
    assert acknowledgements() == 1


def test_the_form_says_what_is_missing(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    before = rows()
    response = teacher.post(log_path(world), note("", visibility="everyone"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "Select a valid choice. everyone is not one of the available choices." in html
    assert rows() == before


def test_an_author_edits_their_own_note_and_a_colleague_cannot(world: World) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, text="Första versionen.", visibility="staff")
    teacher = client_for(world, "teacher_5a")
    # Given the log: the author's own note has an edit link
    assert f'href="/learning-log/{entry.pk}/"' in teacher.get(log_path(world)).content.decode()
    # When the author changes the text and shares it
    page = teacher.get(f"/learning-log/{entry.pk}/").content.decode()
    assert "Första versionen.</textarea>" in page
    response = teacher.post(f"/learning-log/{entry.pk}/", note("Andra versionen."))
    assert response["Location"] == log_path(world)
    with schema_context(TENANT_A.slug):
        entry.refresh_from_db()
        history = list(entry.history.values_list("action", flat=True))
    assert (entry.text, entry.visibility) == ("Andra versionen.", "pupil_guardians")
    assert history == ["updated"]
    # When a colleague who also writes about the pupil tries: no edit link, and 404
    colleague = client_for(world, "specped_5a")
    before = rows()
    listing = colleague.get(log_path(world)).content.decode()
    assert "Andra versionen." in listing
    assert f'href="/learning-log/{entry.pk}/"' not in listing
    assert colleague.get(f"/learning-log/{entry.pk}/").status_code == 404
    assert colleague.post(f"/learning-log/{entry.pk}/", note("Kapad.")).status_code == 404
    assert rows() == before


# --- Reading -----------------------------------------------------------------------------------


def test_the_pupil_and_guardians_see_published_shared_notes_only(world: World) -> None:
    with schema_context(TENANT_A.slug):
        entry_make(world, text="Delad anteckning.")
        entry_make(world, text="Bara för personalen.", visibility="staff")
        entry_make(world, text="Ett utkast.", published=False)
    for name, path in (
        ("mother_p5a_1", f"/children/{world.people['p5a_1'].pk}/"),
        ("pupil_p5a_1", f"/pupils/{world.people['p5a_1'].pk}/"),
    ):
        family = client_for(world, name)
        # On their existing page and on the learning log page
        for html in (
            family.get(path).content.decode(),
            family.get(log_path(world)).content.decode(),
        ):
            assert "Delad anteckning." in html
            assert "Bara för personalen." not in html
            assert "Ett utkast." not in html
            assert 'name="text"' not in html
    # And the teacher sees all three on the pupil page, the staff-only and the draft marked
    staff_page = client_for(world, "teacher_5a").get(f"/pupils/{world.people['p5a_1'].pk}/")
    html = staff_page.content.decode()
    assert all(t in html for t in ("Delad anteckning.", "Bara för personalen.", "Ett utkast."))
    assert "Draft: only staff see it</strong>" in html


def test_a_guardian_cannot_write_and_nothing_changes(world: World) -> None:
    guardian = client_for(world, "mother_p5a_1")
    before = rows()
    assert guardian.post(log_path(world), note("Från hemmet.")).status_code == 404
    assert rows() == before


def test_need_to_know_and_other_municipalities_get_404(world: World, tenant_b: object) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, text="Om eleven.")
    with schema_context(TENANT_B.slug):
        world_b = build_world(prefix="b-")
    before = rows()
    # A teacher of another class, a school administrator and another child's guardian: 404
    for name in ("teacher_ma8b", "school_admin_norra", "foster_p8b_2"):
        client = client_for(world, name)
        assert client.get(log_path(world)).status_code == 404, name
        assert client.post(log_path(world), note("Intrång.")).status_code == 404, name
        assert client.get(f"/learning-log/{entry.pk}/").status_code == 404, name
    # A teacher of the same name in another municipality does not find A's pupil or entry
    other = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    assert other.get(log_path(world)).status_code == 404
    assert other.post(f"/learning-log/{entry.pk}/", note("Intrång.")).status_code == 404
    assert rows() == before
    assert rows(TENANT_B.slug)["FormativeEntry"] == []


def test_each_page_writes_one_read_log_entry_naming_the_pupil(world: World) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world)
    teacher = client_for(world, "teacher_5a")
    pupil = world.people["p5a_1"].pk
    teacher.get(log_path(world))
    teacher.get(f"/learning-log/{entry.pk}/")
    logged = [(e.resource, e.object_ref, e.pupil_ids, e.relations) for e in log_entries()]
    assert logged == [
        ("portal.learning_log", f"pupil:{pupil}", [pupil], {str(pupil): "teacher"}),
        ("portal.learning_log.entry", f"entry:{entry.pk}", [pupil], {str(pupil): "teacher"}),
    ]


def test_the_log_page_reads_a_fixed_number_of_queries(world: World, count_queries: Any) -> None:
    teacher = client_for(world, "teacher_5a")

    def counted() -> int:
        with count_queries() as counter:
            assert teacher.get(log_path(world)).status_code == 200
        return counter.count

    with schema_context(TENANT_A.slug):
        plan = plan_make(world)
        entry_make(world)
    few = counted()
    with schema_context(TENANT_A.slug):
        for n in range(10):
            made = entry_make(world, author="specped_5a", text=f"Anteckning {n}")
            FormativeEntry.objects.filter(pk=made.pk).update(plan=plan)
    assert counted() == few
