"""On a phone (375 by 667 CSS pixels) the pages fit the screen: no sideways scrolling (WCAG
1.4.10 Reflow)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Live
from tests.browser.support import visit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker

FITS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.mark.parametrize(
    ("role", "page_name", "path"),
    [
        ("teacher", "start", "/"),
        ("teacher", "group", "/groups/{5A}/"),
        ("teacher", "pupil", "/pupils/{p5a_1}/"),
        ("guardian", "child", "/children/{p5a_1}/"),
    ],
)
def test_pages_fit_a_phone_screen(
    live: Live, open_page: Callable[..., Page], role: str, page_name: str, path: str
) -> None:
    page = open_page(role, phone=True)
    ids = {**live.world.pupils, **live.world.groups}
    url = live.url(path.format(**{k: str(v) for k, v in ids.items()}))
    visit(page, url, shot=f"{role}-{page_name}-phone")
    scroll_width, inner_width = page.evaluate(FITS)
    assert inner_width == 375
    assert scroll_width <= inner_width, f"{url} is {scroll_width}px wide on a 375px screen"
