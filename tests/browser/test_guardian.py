"""A guardian sees their child and what the school published, never the drafts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from access.policy import actor_for
from accounts.models import User
from documentation.talks.services.iups import IUPInput, iup_create, iup_publish
from tests.browser.conftest import Live
from tests.browser.seed import (
    AGREEMENT_TEXT,
    DRAFT_TALK_NOTES,
    PUBLISHED_IUP_GOALS,
    PUBLISHED_TALK_NOTES,
    SLUG,
)
from tests.browser.support import checked, click_through, path_of, visit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker

NEW_GOALS = "Skriva egna berättelser med inledning, handling och avslutning."


def test_a_guardian_sees_their_child_and_the_published_documents_only(
    live: Live, open_page: Callable[..., Page]
) -> None:
    # Given a signed-in guardian on the start page
    page = open_page("guardian")
    visit(page, live.url("/"))
    alva = live.world.full_name("p5a_1")
    child_path = f"/children/{live.world.pupils['p5a_1']}/"
    # Then their child is there, with what was published for her (the draft talk is not)
    link = page.locator(f'main a[href="{child_path}"]').first
    expect(link).to_contain_text("Alva")
    expect(page.locator("main")).to_contain_text("HT2026")
    expect(page.locator("main")).not_to_contain_text("2027")
    # When they open their child
    click_through(page, link)
    checked(page)
    # Then they see the published talk, its agreement and the published IUP
    assert path_of(page) == child_path
    expect(page.locator("h1")).to_have_text(alva)
    main = page.locator("main")
    expect(main).to_contain_text(PUBLISHED_TALK_NOTES)
    expect(main).to_contain_text(AGREEMENT_TEXT)
    expect(main).to_contain_text(PUBLISHED_IUP_GOALS)
    # And not the draft talk
    expect(main).not_to_contain_text(DRAFT_TALK_NOTES)

    # Given the teacher writes a new IUP: while it is a draft, the guardian does not see it
    with schema_context(SLUG):
        teacher = actor_for(User.objects.get(username="teacher_5a"))
        iup = iup_create(
            actor=teacher,
            pupil_id=live.world.pupils["p5a_1"],
            data=IUPInput(term="VT2027", school_year=5, goals=NEW_GOALS),
        )
    page.reload()
    checked(page)
    expect(page.locator("main")).not_to_contain_text(NEW_GOALS)
    # When the teacher publishes it, the guardian sees it on the next visit
    with schema_context(SLUG):
        iup_publish(actor=teacher, iup=iup)
    page.reload()
    checked(page)
    expect(page.locator("main")).to_contain_text(NEW_GOALS)
