"""Browser tests: Debian's Chromium driven by Playwright against the real Lärspår.

One web server (gunicorn), one Celery worker and one Chromium serve every browser test; they
run against the test database and the test Redis. The data lives in a municipality of the
browser tests' own (tests/browser/seed.py), committed, and dropped when the package is done.

Without Chromium (and not root, so it cannot be installed) the tests are skipped with the
reason in pytest's summary; under CI (CI=true) that is a failure instead, so a green CI run
always means the browser tests ran.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.db import connections

from tests.browser.chromium import LAUNCH_ARGS, ensure_chromium
from tests.browser.seed import (
    HOST,
    OPERATOR_USERNAME,
    BrowserWorld,
    drop_browser_data,
    seed_browser_world,
)
from tests.browser.server import LiveServer, running_web_server, starting_worker
from tests.browser.support import CodeClock, submit_code, submit_sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

PLATFORM_HOST = "larspar.test"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
# Generous: a busy CI machine renders slowly; a passing test never waits this long.
DEFAULT_TIMEOUT_MS = 20_000
WEB_LOG_OFFSET = pytest.StashKey[int]()

# Who plays each role, and where they sign in.
ROLES: dict[str, tuple[str, str]] = {
    "teacher": ("teacher_5a", HOST),
    "specped": ("specped_5a", HOST),
    "guardian": ("mother_p5a_1", HOST),
    "pupil": ("pupil_p5a_1", HOST),
    "admin": ("municipality_admin", HOST),
    "operator": (OPERATOR_USERNAME, PLATFORM_HOST),
}


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path, why_not = ensure_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"Browser tests cannot run, and CI must run them: {why_not}", pytrace=False)
        pytest.skip(f"Browser tests skipped: {why_not}")
    return path


@pytest.fixture(scope="package")
def browser(chromium_executable: str) -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread, which Django takes for an
    # async context and refuses ORM calls in (the tests' own service calls and clean-up).
    # Nothing here is async: the calls happen between Playwright's, never inside its loop.
    # In that "async" state Django keeps its connections per context rather than per thread,
    # so the ones opened meanwhile are closed here, or they would keep the test database open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=chromium_executable, args=LAUNCH_ARGS
            )
            try:
                yield chromium
            finally:
                connections.close_all()
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Live:
    """The running site, its data, and signed-in sessions to start pages from."""

    server: LiveServer
    world: BrowserWorld
    browser: Browser
    clock: CodeClock = field(default_factory=CodeClock)
    _states: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str = "/", *, host: str = HOST) -> str:
        return self.server.url(host, path)

    def platform_url(self, path: str = "/") -> str:
        return self.server.url(PLATFORM_HOST, path)

    def pupil_path(self, name: str) -> str:
        return f"/pupils/{self.world.pupils[name]}/"

    def new_context(
        self, *, phone: bool = False, state: Any = None, javascript: bool = True
    ) -> BrowserContext:
        options: dict[str, Any] = {
            # A Swedish browser, as the municipalities' staff and families have.
            "locale": "sv-SE",
            "timezone_id": "Europe/Stockholm",
            "viewport": PHONE if phone else DESKTOP,
            "storage_state": state,
            "java_script_enabled": javascript,
        }
        if phone:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = self.browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.add_init_script(AXE_SCRIPT)
        return context

    def signed_in_state(self, role: str) -> Any:
        """Cookies of a session of ``role`` (signed in once, second factor included). The pages
        on the way are checked by the sign-in tests, not again here."""
        if role not in self._states:
            username, host = ROLES[role]
            context = self.new_context()
            page = context.new_page()
            page.goto(self.url("/login/", host=host))
            submit_sign_in(page, username)
            assert page.url == self.url("/", host=host), f"{username} not signed in: {page.url}"
            key = self.world.device_keys.get(username)
            if key is not None:  # staff: prove the second factor now, for the pupil pages
                page.goto(self.url("/account/two-factor/verify/?next=/", host=host))
                submit_code(page, self.clock.fresh_code(key))
                assert page.url == self.url("/", host=host), page.url
            self._states[role] = context.storage_state()
            context.close()
        return self._states[role]


@pytest.fixture(scope="package")
def live(
    chromium_executable: str,  # first: without Chromium, skip before the database is set up
    django_db_setup: None,
    django_db_blocker: Any,
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    """The real web server and worker over committed data; all of it removed afterwards.

    The database stays unblocked for the whole package: tests write committed data through
    the services (e.g. publish an IUP) while the server reads it from another process."""
    with django_db_blocker.unblock():
        try:
            workdir = tmp_path_factory.mktemp("web")
            # The server and the worker boot while the data is written.
            with running_web_server(workdir=workdir) as server, starting_worker() as worker_ready:
                world = seed_browser_world()
                worker_ready()
                server.wait_until_ready(HOST)
                yield Live(server=server, world=world, browser=browser)
        finally:
            drop_browser_data()


@pytest.fixture
def open_page(live: Live) -> Iterator[Callable[..., Page]]:
    """``open_page(role=None, phone=False, javascript=True)``: a new page in a new browser
    context, signed in as ``role`` (see ROLES) or anonymous. Contexts are closed after the test."""
    contexts: list[BrowserContext] = []

    def _open(role: str | None = None, *, phone: bool = False, javascript: bool = True) -> Page:
        state = live.signed_in_state(role) if role else None
        context = live.new_context(phone=phone, state=state, javascript=javascript)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _web_log_mark(request: pytest.FixtureRequest, live: Live) -> None:
    """Where the web server's log stood when the test began (for the failure report)."""
    request.node.stash[WEB_LOG_OFFSET] = live.server.log_size()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed browser test shows what the web server logged meanwhile (tracebacks of 500s)."""
    report = yield
    live = getattr(item, "funcargs", {}).get("live")
    if report.failed and isinstance(live, Live) and WEB_LOG_OFFSET in item.stash:
        logged = live.server.log_since(item.stash[WEB_LOG_OFFSET])
        if logged.strip():
            report.sections.append(("web server log during the test", logged[-8000:]))
    return report
