"""The talk and IUP editors autosave with the acknowledgement box ticked: one acknowledgement
per document and set of findings, not one per autosave."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from documentation.talks.models import IUP, DevelopmentTalk
from documentation.textguard.models import Acknowledgement
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A
from tests.portal.test_talk_pages import HTMX, token_of

HOST = TENANT_A.domain


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


def acknowledgements() -> list[tuple[str, int, int]]:
    with schema_context(TENANT_A.slug):
        return list(
            Acknowledgement.objects.order_by("pk").values_list(
                "document_ref", "value_judgement", "health"
            )
        )


def test_talk_autosaves_with_the_box_ticked_record_one_acknowledgement(world: World) -> None:
    # Given a teacher writing a new talk with value-laden wording, the box ticked
    teacher = signed_in_client(HOST, TENANT_A.slug, world.users["teacher_5a"])
    new = f"/pupils/{world.people['p5a_1'].pk}/talks/new/"
    form = {"draft_token": token_of(teacher.get(new).content.decode()), "template": "none"}
    form |= {"notes": "Eleven är lat", "acknowledge": "1", "findings_shown": "1"}
    # When the page autosaves three times as the teacher goes on typing
    first = teacher.post(f"{new}autosave/", form, **HTMX)
    with schema_context(TENANT_A.slug):
        talk = DevelopmentTalk.objects.get()
    for notes in ("Eleven är lat på", "Eleven är lat på lektionerna."):
        teacher.post(f"/talks/{talk.pk}/autosave/", form | {"notes": notes}, **HTMX)
    # Then each autosave saved, and one acknowledgement is recorded
    assert first.content.decode().startswith("Saved ")
    with schema_context(TENANT_A.slug):
        assert DevelopmentTalk.objects.get().notes == "Eleven är lat på lektionerna."
    assert acknowledgements() == [(f"talks.talk:{talk.pk}", 1, 0)]
    # When a new finding appears in the text
    more = form | {"notes": "Eleven är lat på lektionerna och har ADHD."}
    teacher.post(f"/talks/{talk.pk}/autosave/", more, **HTMX)
    teacher.post(f"/talks/{talk.pk}/autosave/", more | {"notes": more["notes"] + " Mer."}, **HTMX)
    # Then it is acknowledged once more, once
    assert acknowledgements() == [(f"talks.talk:{talk.pk}", 1, 0), (f"talks.talk:{talk.pk}", 1, 1)]
    # And publishing the same findings, ticked again, is not a further acknowledgement
    published = teacher.post(f"/talks/{talk.pk}/publish/", {"acknowledge": "1"})
    assert published.status_code == 302
    assert len(acknowledgements()) == 2


def test_iup_autosaves_with_the_box_ticked_record_one_acknowledgement(world: World) -> None:
    # Given a teacher writing a new IUP with wording about health, the box ticked
    teacher = signed_in_client(HOST, TENANT_A.slug, world.users["teacher_5a"])
    new = f"/pupils/{world.people['p5a_1'].pk}/iups/new/"
    form = {
        "draft_token": token_of(teacher.get(new).content.decode()),
        "term": "HT2026",
        "school_year": "5",
        "goals": "Hon har ADHD",
        "measures": "",
        "acknowledge": "1",
    }
    # When it autosaves three times while the goals are written
    teacher.post(f"{new}autosave/", form, **HTMX)
    with schema_context(TENANT_A.slug):
        iup = IUP.objects.get()
    for goals in ("Hon har ADHD och", "Hon har ADHD och läser mer."):
        teacher.post(f"/iups/{iup.pk}/autosave/", form | {"goals": goals}, **HTMX)
    # Then it was saved each time, with one acknowledgement
    with schema_context(TENANT_A.slug):
        assert IUP.objects.get().goals == "Hon har ADHD och läser mer."
    assert acknowledgements() == [(f"talks.iup:{iup.pk}", 0, 1)]
    # When a finding is added in the measures
    changed = form | {"goals": "Hon har ADHD och läser mer.", "measures": "Inte lat."}
    teacher.post(f"/iups/{iup.pk}/autosave/", changed, **HTMX)
    # Then that set is acknowledged as well
    assert acknowledgements() == [(f"talks.iup:{iup.pk}", 0, 1), (f"talks.iup:{iup.pk}", 1, 1)]


def test_another_teachers_autosave_is_refused_and_records_nothing(world: World) -> None:
    # Given a draft talk with an acknowledged finding by the class teacher
    teacher = signed_in_client(HOST, TENANT_A.slug, world.users["teacher_5a"])
    new = f"/pupils/{world.people['p5a_1'].pk}/talks/new/"
    form = {"draft_token": token_of(teacher.get(new).content.decode()), "template": "none"}
    form |= {"notes": "Eleven är lat", "acknowledge": "1"}
    teacher.post(f"{new}autosave/", form, **HTMX)
    with schema_context(TENANT_A.slug):
        talk = DevelopmentTalk.objects.get()
    before = acknowledgements()
    # When a teacher without a relation to the pupil autosaves to it with a new finding
    stranger = signed_in_client(HOST, TENANT_A.slug, world.users["teacher_idle"])
    refused = stranger.post(
        f"/talks/{talk.pk}/autosave/", form | {"notes": "Han har ADHD."}, **HTMX
    )
    # Then it is not found, and neither the talk nor the acknowledgements changed
    assert refused.status_code == 404
    assert acknowledgements() == before == [(f"talks.talk:{talk.pk}", 1, 0)]
    with schema_context(TENANT_A.slug):
        assert DevelopmentTalk.objects.get().notes == "Eleven är lat"
