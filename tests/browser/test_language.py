"""Swedish by default; English on request, and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Live
from tests.browser.support import checked, click_through, path_of, visit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker


def test_a_teacher_switches_to_english_and_back_on_the_same_page(
    live: Live, open_page: Callable[..., Page]
) -> None:
    page = open_page("teacher")
    group = f"/groups/{live.world.groups['5A']}/"
    visit(page, live.url(group))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "sv")
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
    # When they ask for English: the same page, in English, announced as English
    click_through(page, page.get_by_role("button", name="In English"))
    assert path_of(page) == group
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    checked(page, "teacher-group-english")
    # And the choice holds on the next page
    visit(page, live.url("/"))
    expect(page.locator("h1")).to_have_text(f"Welcome, {live.world.full_name('teacher_5a')}")
    # When they switch back: Swedish again
    click_through(page, page.get_by_role("button", name="På svenska"))
    assert path_of(page) == "/"
    expect(html).to_have_attribute("lang", "sv")
    expect(page.locator("h1")).to_have_text(f"Välkommen, {live.world.full_name('teacher_5a')}")
    checked(page)
