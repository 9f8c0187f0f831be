"""Keyboard only: the skip link, and every control of the start page reachable with Tab, in
order, with a visible focus indicator (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Live
from tests.browser.support import visit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker

# Marks every control a keyboard user must reach (visible, enabled, in the tab order) with its
# position in the document, and returns how many there are.
MARK_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [tabindex]:not([tabindex="-1"])';
  const controls = [...document.querySelectorAll(selector)].filter(el =>
    !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
  controls.forEach((el, i) => { el.dataset.tabProbe = String(i); });
  return controls.length;
}"""
# Records every control that receives focus from now on: its mark, and whether a focus
# indicator (outline or box shadow) is drawn around it at that moment.
RECORD_FOCUS = """() => {
  window.focusLog = [];
  document.addEventListener('focusin', event => {
    const el = event.target;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== 'none';
    window.focusLog.push({probe: el.dataset.tabProbe ?? null, tag: el.tagName,
      text: (el.innerText || el.value || '').trim(), indicator: Boolean(outline || shadow)});
  });
}"""


@pytest.mark.parametrize("role", ["teacher", "guardian"])
def test_the_start_page_works_with_the_keyboard_alone(
    live: Live, open_page: Callable[..., Page], role: str
) -> None:
    page = open_page(role)
    visit(page, live.url("/"))
    # The first Tab lands on the skip link, which then shows on screen
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement"), "Tab did not reach the skip link"
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert viewport is not None
    assert 0 <= box["x"] < viewport["width"], box
    assert 0 <= box["y"] < viewport["height"], box
    # Enter moves the focus to the main content
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Tab from the top of the page reaches every control, in document order, each visibly
    page.goto(live.url("/"))  # anew, without the #main the skip link added
    count = page.evaluate(MARK_CONTROLS)
    assert count >= 5, f"only {count} controls found: is this the start page?"
    page.evaluate(RECORD_FOCUS)
    for _ in range(count):
        page.keyboard.press("Tab")
    log = [entry for entry in page.evaluate("window.focusLog") if entry["probe"] is not None]
    reached = [int(entry["probe"]) for entry in log]
    missing = sorted(set(range(count)) - set(reached))
    assert not missing, f"not reachable with Tab: controls {missing} of {count}"
    assert reached == list(range(count)), f"focus order differs from the page's order: {reached}"
    without_indicator = [f"{e['tag']} {e['text'][:40]!r}" for e in log if not e["indicator"]]
    assert not without_indicator, f"no visible focus indicator on: {without_indicator}"
