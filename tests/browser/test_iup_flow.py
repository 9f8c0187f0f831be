"""The teacher's talk and IUP flows end to end in the browser, against the real server and
worker: an IUP written with autosave and published, then read by the guardian; wording the text
guard flags, shown inline and acknowledged once however often the editor saves; and every talk
and IUP page passing axe-core."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from documentation.talks.models import IUP, DevelopmentTalk
from documentation.textguard.models import Acknowledgement
from tests.browser.conftest import Live
from tests.browser.seed import (
    DRAFT_TALK_NOTES,
    PUBLISHED_IUP_GOALS,
    PUBLISHED_TALK_NOTES,
    SLUG,
)
from tests.browser.support import checked, click_through, path_of, visit

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

pytestmark = pytest.mark.worker

NEW_IUP_TERM = "VT2028"
NEW_IUP_GOALS = "Läsa en kapitelbok i månaden och berätta om den för klassen."
NEW_IUP_SUBJECT_TEXT = "Skriver berättelser med tydlig början, mitt och slut."


# --- Publishing an IUP -----------------------------------------------------------------------


def test_a_teacher_publishes_an_iup_that_the_guardian_then_reads(
    live: Live, open_page: Callable[..., Page]
) -> None:
    alva = live.world.pupils["p5a_1"]
    # Given the teacher on a new IUP for Alva
    page = open_page("teacher")
    visit(page, live.url(f"/pupils/{alva}/iups/new/"))
    expect(page.locator("h1")).to_contain_text("Alva Lindqvist")
    # When they fill it in with the keyboard and pause: it is saved as a draft by itself
    page.get_by_label("Termin").fill(NEW_IUP_TERM)
    page.locator('textarea[name^="subjects."]').first.fill(NEW_IUP_SUBJECT_TEXT)
    page.get_by_label("Mål").fill(NEW_IUP_GOALS)
    expect(page.locator("#page-status")).to_contain_text("Sparat", timeout=30_000)
    assert path_of(page).startswith("/iups/")  # the address became the draft's
    checked(page, "teacher-iup-editor")
    # And the guardian does not see the draft
    family = open_page("guardian")
    visit(family, live.url(f"/children/{alva}/"))
    expect(family.locator("main")).not_to_contain_text(NEW_IUP_GOALS)
    # When the teacher saves and publishes, confirming on the publish page
    click_through(page, page.get_by_role("button", name="Spara och publicera…"))
    assert path_of(page).endswith("/publish/")
    checked(page, "teacher-iup-publish")
    expect(page.locator("h1")).to_contain_text(f"IUP {NEW_IUP_TERM}")
    expect(page.locator("main")).to_contain_text(NEW_IUP_GOALS)  # what the family will see
    click_through(page, page.get_by_role("button", name="Publicera", exact=True))
    # Then the IUP page says it is published
    checked(page)
    expect(page.locator(".messages")).to_contain_text("Publicerat.")
    # And the guardian reads it on the child's page
    family.reload()
    checked(family)
    main = family.locator("main")
    expect(main).to_contain_text(NEW_IUP_TERM)
    expect(main).to_contain_text(NEW_IUP_GOALS)
    expect(main).to_contain_text(NEW_IUP_SUBJECT_TEXT)


# --- The text guard inline, acknowledged once ------------------------------------------------


def _is_autosave(response: Response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/autosave/")


def test_flagged_wording_is_shown_inline_and_acknowledged_once_while_autosaving(
    live: Live, open_page: Callable[..., Page]
) -> None:
    elias = live.world.pupils["p5a_2"]
    # Given the teacher writing a new talk with Elias
    page = open_page("teacher")
    visit(page, live.url(f"/pupils/{elias}/talks/new/"))
    notes = page.get_by_label("Anteckningar från samtalet")
    # When they type value-laden wording and pause
    notes.press_sequentially("Elias är lat")
    # Then the finding appears next to the field, with the box to keep the wording
    expect(page.locator("#findings-notes mark")).to_have_text("lat", timeout=30_000)
    box = page.get_by_label("Jag har läst synpunkterna på formuleringen")
    expect(box).to_be_visible()
    expect(page.locator("#page-status")).to_contain_text("Inte sparat")
    checked(page, "teacher-talk-findings")
    # When they tick the box (keyboard: focus and space) and go on writing
    box.focus()
    with page.expect_response(_is_autosave):
        page.keyboard.press("Space")
    expect(box).to_be_checked()
    expect(page.locator("#page-status")).to_contain_text("Sparat")
    talk_path = path_of(page)
    assert talk_path.startswith("/talks/")  # the address became the draft's
    talk_id = int(talk_path.strip("/").split("/")[1])
    for more in (" på", " lektionerna."):
        notes.press("End")
        with page.expect_response(_is_autosave):
            notes.press_sequentially(more)
        expect(page.locator("#page-status")).to_contain_text("Sparat")
        expect(box).to_be_checked()  # the tick survives the autosave
    # Then the talk holds the whole text, and the wording was acknowledged once
    with schema_context(SLUG):
        assert DevelopmentTalk.objects.get(pk=talk_id).notes == "Elias är lat på lektionerna."
        acknowledged = Acknowledgement.objects.filter(document_ref=f"talks.talk:{talk_id}")
        assert list(acknowledged.values_list("value_judgement", "health")) == [(1, 0)]


# --- The document pages that need an id: axe-core and a screenshot each ----------------------


def _document_ids() -> dict[str, int]:
    with schema_context(SLUG):
        talks = DevelopmentTalk.objects.filter(pupil__given_name="Alva")
        return {
            "draft_talk": talks.get(notes=DRAFT_TALK_NOTES).pk,
            "published_talk": talks.get(notes=PUBLISHED_TALK_NOTES).pk,
            "published_iup": IUP.objects.get(goals=PUBLISHED_IUP_GOALS).pk,
        }


DOCUMENT_PAGES = [
    ("teacher", "talk-editor", "/talks/{draft_talk}/", "Utvecklingssamtal med Alva Lindqvist"),
    ("teacher", "talk-publish", "/talks/{draft_talk}/publish/", "Publicera utvecklingssamtalet"),
    ("teacher", "talk-published", "/talks/{published_talk}/", "Utvecklingssamtal med Alva"),
    ("teacher", "iup-published", "/iups/{published_iup}/", "IUP HT2026 för Alva Lindqvist"),
    ("guardian", "talk", "/talks/{published_talk}/", "Utvecklingssamtal med Alva Lindqvist"),
    ("guardian", "iup", "/iups/{published_iup}/", "IUP HT2026 för Alva Lindqvist"),
]


@pytest.mark.parametrize(
    ("role", "name", "path", "heading"),
    DOCUMENT_PAGES,
    ids=[f"{r}-{n}" for r, n, *_ in DOCUMENT_PAGES],
)
def test_each_document_page_answers_and_passes_axe(
    live: Live, open_page: Callable[..., Page], role: str, name: str, path: str, heading: str
) -> None:
    page = open_page(role)
    visit(page, live.url(path.format(**_document_ids())), shot=f"{role}-{name}")
    assert page.locator("html").get_attribute("lang") == "sv"
    expect(page.locator("h1")).to_contain_text(heading)
