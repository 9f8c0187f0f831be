"""What browser tests do on every page: open it, check it with axe-core, keep a screenshot."""

from __future__ import annotations

import os
import re
import time
from base64 import b32decode
from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django_otp.oath import totp

from tests.accounts.support import PASSWORD
from tests.worker import REPO_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Response

SCREENSHOT_DIR = REPO_ROOT / "docs" / "screenshots"
FAILING_IMPACTS = ("serious", "critical")
# axe-core as bundled in axe-playwright-python (no network). Browser contexts add it as an init
# script (see conftest), so it is parsed with the page rather than injected afterwards.
AXE_OPTIONS = {"resultTypes": ["violations"]}


def screenshots_wanted() -> bool:
    return os.environ.get("LARSPAR_SCREENSHOTS") == "1"


# --- axe-core -----------------------------------------------------------------------------------


def format_violations(violations: list[dict[str, Any]], url: str) -> str:
    lines = [f"axe-core found {len(violations)} serious or critical violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"\n[{violation['impact']}] {violation['id']}: {violation['help']}"
            f"\n  {violation['helpUrl']}"
        )
        for node in violation["nodes"][:8]:
            target = " ".join(str(part) for part in node.get("target", []))
            lines.append(f"  - {target}\n    {node.get('html', '')[:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
        if len(violation["nodes"]) > 8:
            lines.append(f"  ... and {len(violation['nodes']) - 8} more element(s)")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Runs axe-core (all its rules: WCAG 2.0/2.1/2.2 A and AA and best practices) on the page as
    it is now; fails on any violation of impact serious or critical."""
    if page.evaluate("typeof window.axe === 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("options => window.axe.run(document, options)", AXE_OPTIONS)
    failing = [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]
    if failing:
        pytest.fail(format_violations(failing, page.url), pytrace=False)


# --- Pages --------------------------------------------------------------------------------------


def checked(page: Page, shot: str | None = None, *, mask: tuple[str, ...] = ()) -> None:
    """The page as it is now: axe-core, and a screenshot under docs/screenshots/ when asked
    (with the elements matching the ``mask`` selectors blacked out, e.g. secrets)."""
    assert_accessible(page)
    if shot and screenshots_wanted():
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOT_DIR / f"{shot}.png"),
            full_page=True,
            mask=[page.locator(selector) for selector in mask],
            animations="disabled",
            caret="hide",
        )


def visit(page: Page, url: str, *, shot: str | None = None, status: int = 200) -> Response:
    """Opens ``url``, expects ``status`` (after redirects) and checks the page."""
    response = page.goto(url)
    assert response is not None
    assert response.status == status, f"{url}: HTTP {response.status}, expected {status}"
    checked(page, shot)
    return response


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


# --- Sign-in ------------------------------------------------------------------------------------


def code_from_secret(secret: str) -> str:
    """What an authenticator app shows now for the base32 key on the set-up page."""
    return f"{totp(b32decode(secret.replace(' ', '').upper())):06d}"


def code_from_hex(key_hex: str) -> str:
    """The current code of a device whose key the test knows (seeded devices)."""
    return f"{totp(bytes.fromhex(key_hex)):06d}"


def click_through(page: Page, target: Locator) -> None:
    """Clicks a link or a form's button and waits until the page it leads to has loaded."""
    with page.expect_navigation():
        target.click()


def submit_sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    click_through(page, page.locator("main form button[type=submit]"))


def submit_code(page: Page, code: str) -> None:
    page.locator("#id_code").fill(code)
    click_through(page, page.locator("main form button[type=submit]"))


class CodeClock:
    """Hands out TOTP codes that the server has not seen yet: django-otp refuses a code of a
    time step it has already accepted, so a second sign-in in the same 30 seconds waits."""

    def __init__(self) -> None:
        self._last_step: dict[str, int] = {}

    def fresh_code(self, key_hex: str) -> str:
        step = int(time.time()) // 30
        if self._last_step.get(key_hex, -1) >= step:
            time.sleep(30 - time.time() % 30 + 0.2)
            step = int(time.time()) // 30
        self._last_step[key_hex] = step
        return code_from_hex(key_hex)
