"""A teacher writes a pedagogical plan with the curriculum picker, by keyboard, and publishes
it; the pupil then reads it. axe-core on the list, the editor (picker open) and the plan as
the pupil reads it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from documentation.plans.models import PedagogicalPlan
from tests.browser.conftest import Live
from tests.browser.seed import SLUG
from tests.browser.seed_plans import PLAN_FILTER_CONTENT, PLAN_FILTER_REQUIREMENTS, PLAN_SUBJECT
from tests.browser.support import checked, click_through, path_of, visit
from tests.browser.test_phone import FITS

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

pytestmark = pytest.mark.worker

TITLE = "Bråk och mönster åk 5"
DESCRIPTION = "Vi undersöker bråk med tallinjer och mönster."
REQUIREMENT_E = "Eleven använder matematiska begrepp och metoder på ett i huvudsak fungerande sätt."
REQUIREMENT_C = "Eleven använder matematiska begrepp och metoder på ett ändamålsenligt sätt."
CONTENT = "Tal i bråk- och decimalform och hur de används i vardagen."
SAVED = re.compile(r"^Sparat \d\d:\d\d")


def _type_filter(page: Page, words: str, shown: int) -> None:
    """Types into the picker's filter and waits for the list htmx brings back."""

    def filtered(response: Response) -> bool:
        posted = parse_qs(response.request.post_data or "")
        return response.url.endswith("/curriculum/") and posted.get("q") == [words]

    page.locator("#picker-q").focus()
    page.keyboard.press("Control+A")
    with page.expect_response(filtered):
        page.keyboard.type(words)
    expect(page.locator("#picker-items .check:not([hidden])")).to_have_count(shown)
    expect(page.locator("#picker-count")).to_have_text(f"{shown} punkter visas.")


def test_a_teacher_writes_and_publishes_a_plan_and_the_pupil_reads_it(
    live: Live, open_page: Callable[..., Page]
) -> None:
    # Given the teacher on her class's plans (from the group page)
    page = open_page("teacher")
    group = live.world.groups["5A"]
    visit(page, live.url(f"/groups/{group}/"))
    click_through(page, page.get_by_role("link", name="Pedagogiska planeringar"))
    checked(page, "teacher-plans")
    # When she starts a new plan, typing the title and choosing the subject with the keyboard
    click_through(page, page.get_by_role("link", name="Ny planering"))
    checked(page)
    page.get_by_label("Titel").focus()
    page.keyboard.type(TITLE)
    subject = page.get_by_label("Ämne")
    subject.focus()
    while subject.input_value() != PLAN_SUBJECT:  # the options are in name order
        page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.get_by_role("button", name="Skapa planeringen").press("Enter")
    # Then the editor opens with the subject's curriculum to pick from
    assert re.fullmatch(r"/plans/\d+/", path_of(page))
    expect(page.locator("h1")).to_have_text(f"Planering: {TITLE}")
    checked(page, "teacher-plan-editor")

    # When she filters the picker and ticks two grading criteria and one central content item,
    # moving with Tab and ticking with Space
    _type_filter(page, PLAN_FILTER_REQUIREMENTS, shown=3)
    page.keyboard.press("Tab")  # the filter's own button (for browsers without JavaScript)
    page.keyboard.press("Tab")
    expect(page.get_by_label(REQUIREMENT_E)).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_label(REQUIREMENT_C)).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#page-status")).to_have_text(SAVED)
    _type_filter(page, PLAN_FILTER_CONTENT, shown=3)  # the item, and the two ticked ones
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label(CONTENT)).to_be_focused()
    page.keyboard.press("Space")
    # And writes the description
    page.get_by_label("Beskrivning").focus()
    page.keyboard.type(DESCRIPTION)
    # Then the autosave says it is saved, and the plan holds what she picked and wrote
    plan_id = int(path_of(page).split("/")[2])

    def saved() -> PedagogicalPlan:
        with schema_context(SLUG):
            return PedagogicalPlan.objects.get(pk=plan_id)

    deadline = time.monotonic() + 20
    while saved().description_html != f"<p>{DESCRIPTION}</p>" and time.monotonic() < deadline:
        time.sleep(0.25)  # the autosave runs two seconds after the last key
    expect(page.locator("#page-status")).to_have_text(SAVED)
    checked(page)
    plan = saved()
    assert plan.description_html == f"<p>{DESCRIPTION}</p>"
    assert [ref.rsplit(":", 1)[1] for ref in plan.knowledge_requirement_keys] == [
        "kr.6.E",
        "kr.6.C",
    ]
    assert len(plan.central_content_keys) == 1
    assert plan.central_content_keys[0].startswith(f"{PLAN_SUBJECT}:")
    assert plan.published_at is None

    # When she publishes it
    click_through(page, page.get_by_role("button", name="Spara och publicera…"))
    checked(page)
    click_through(page, page.get_by_role("button", name="Publicera"))
    # Then it is published
    expect(page.locator(".messages")).to_contain_text("Publicerad")
    assert saved().current_version == 1

    # When the pupil opens her school work, the plan is there, and she can read it
    pupil = open_page("pupil")
    visit(pupil, live.url("/me/"))
    click_through(pupil, pupil.get_by_role("link", name=TITLE))
    checked(pupil, "pupil-plan")
    expect(pupil.locator("h1")).to_have_text(TITLE)
    main = pupil.locator("main")
    expect(main).to_contain_text(DESCRIPTION)
    expect(main).to_contain_text(REQUIREMENT_E)
    expect(main).to_contain_text(REQUIREMENT_C)
    expect(main).to_contain_text(CONTENT)
    expect(pupil.locator("#plan-form")).to_have_count(0)

    # And on a phone the editor (picker included) and the plan fit the screen
    for role in ("teacher", "pupil"):
        phone = open_page(role, phone=True)
        visit(phone, live.url(f"/plans/{plan_id}/"))
        scroll_width, inner_width = phone.evaluate(FITS)
        assert scroll_width <= inner_width == 375, f"{role}: {scroll_width}px wide"


def test_without_javascript_the_filter_keeps_what_was_typed_and_enter_saves(
    live: Live, open_page: Callable[..., Page]
) -> None:
    # Given a teacher whose browser runs no JavaScript, on a new plan's editor (axe-core needs
    # JavaScript: these pages are checked with it in the test above)
    page = open_page("teacher", javascript=False)
    page.goto(live.url(f"/groups/{live.world.groups['5A']}/"))
    click_through(page, page.get_by_role("link", name="Pedagogiska planeringar"))
    click_through(page, page.get_by_role("link", name="Ny planering"))
    page.get_by_label("Titel").fill("Geometri utan skript")
    page.get_by_label("Ämne").select_option(PLAN_SUBJECT)
    click_through(page, page.get_by_role("button", name="Skapa planeringen"))
    plan_path = path_of(page)
    # When she writes the description (not saved: no autosave without JavaScript) and filters
    page.get_by_label("Beskrivning").fill(DESCRIPTION)
    page.locator("#picker-q").fill(PLAN_FILTER_REQUIREMENTS)
    click_through(page, page.get_by_role("button", name="Filtrera"))
    # Then the page comes back filtered, with her description still there, and says it is unsaved
    assert path_of(page) == plan_path
    expect(page.get_by_label("Beskrivning")).to_have_value(DESCRIPTION)
    expect(page.get_by_label(REQUIREMENT_E)).to_be_visible()
    expect(page.get_by_label(CONTENT)).to_be_hidden()
    expect(page.locator("#page-status")).to_contain_text("inte sparade än")
    with schema_context(SLUG):
        plan = PedagogicalPlan.objects.get(title="Geometri utan skript")
    assert plan.description_html == ""
    # When she presses Enter in the title, as one does to send a form
    with page.expect_navigation():
        page.get_by_label("Titel").press("Enter")
    # Then the plan is saved with the description (Enter is the save button, not the filter)
    expect(page.locator(".messages")).to_contain_text("Sparat")
    with schema_context(SLUG):
        plan.refresh_from_db()
    assert DESCRIPTION in plan.description_html
