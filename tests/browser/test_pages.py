"""Every page of the portal and the vendor console, for every role that sees it: it answers,
passes axe-core (no serious or critical violation), and is kept as a screenshot
(docs/screenshots/<role>-<page>.png, written with LARSPAR_SCREENSHOTS=1: `make screenshots`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import PLATFORM_HOST, Live
from tests.browser.seed import HOST
from tests.browser.support import visit
from tests.conftest import TENANT_S

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker


@dataclass(frozen=True)
class PageCase:
    role: str | None  # None: not signed in
    name: str
    path: str  # "{alva}" etc. are replaced by the pupils' and groups' ids
    heading: str  # the page's h1, as a Swedish reader sees it
    host: str | None = None  # None: the browser tests' municipality
    status: int = 200

    @property
    def shot(self) -> str:
        return f"{self.role or 'anonymous'}-{self.name}"


CASES = [
    PageCase(None, "login", "/login/", "Logga in"),
    PageCase(None, "accessibility", "/accessibility/", "Lärspår"),
    PageCase(None, "data-protection", "/data-protection/", "Lärspår"),
    PageCase(None, "invitation-invalid", "/invitation/no-such-token/", "Inbjudan", status=404),
    PageCase(
        None,
        "unknown-host",
        "/",
        "Ingen kommun på den här adressen",
        host="nowhere.larspar.test",
        status=404,
    ),
    PageCase(None, "not-found", "/no-such-page/", "Sidan hittades inte", status=404),
    PageCase(None, "suspended", "/", "Tillfälligt otillgängligt", host=TENANT_S.domain, status=503),
    PageCase(None, "operator-login", "/login/", "Logga in", host=PLATFORM_HOST),
    PageCase("teacher", "start", "/", "Välkommen, Karin Johansson"),
    PageCase("teacher", "group", "/groups/{5A}/", "5A"),
    PageCase("teacher", "pupil", "/pupils/{p5a_1}/", "Alva Lindqvist"),
    PageCase("guardian", "start", "/", "Välkommen, Sara Lindqvist"),
    PageCase("guardian", "child", "/children/{p5a_1}/", "Alva Lindqvist"),
    PageCase("pupil", "start", "/", "Välkommen, Alva Lindqvist"),
    PageCase("pupil", "my-school-work", "/me/", "Alva Lindqvist"),
    PageCase("admin", "start", "/", "Välkommen, Birgitta Svensson"),
    PageCase("admin", "administration", "/admin/", "Kommunadministration"),
    PageCase("admin", "imports", "/admin/imports/", "Importer"),
    PageCase("admin", "quarantine", "/admin/quarantine/", "Skyddade identiteter"),
    PageCase("admin", "users", "/admin/users/", "Användare och roller"),
    PageCase("admin", "access-log", "/admin/access-log/?pupil={p5a_1}", "Åtkomstlogg"),
    PageCase("admin", "settings", "/admin/settings/", "Inställningar"),
    PageCase("admin", "lexicon", "/admin/settings/lexicon/", "Textvaktens ord"),
    PageCase("teacher", "talks", "/talks/", "Mina utvecklingssamtal"),
    PageCase("teacher", "talk-new", "/pupils/{p5a_1}/talks/new/", "Alva Lindqvist"),
    PageCase("teacher", "iup-new", "/pupils/{p5a_1}/iups/new/", "Alva Lindqvist"),
    PageCase("teacher", "matrices", "/matrices/", "Bedömningsmatriser"),
    PageCase("teacher", "matrix-new", "/matrices/new/", "Ny bedömningsmatris"),
    PageCase("teacher", "learning-log", "/pupils/{p5a_1}/learning-log/", "Lärlogg: Alva"),
    PageCase("guardian", "learning-log", "/pupils/{p5a_1}/learning-log/", "Lärlogg: Alva"),
    PageCase("operator", "console", "/", "Kommuner", host=PLATFORM_HOST),
]


def resolve(live: Live, path: str) -> str:
    ids = {**live.world.pupils, **live.world.groups}
    return path.format(**{name: str(pk) for name, pk in ids.items()})


@pytest.mark.parametrize("case", CASES, ids=[c.shot for c in CASES])
def test_every_page_answers_and_passes_axe(
    live: Live, open_page: Callable[..., Page], case: PageCase
) -> None:
    page = open_page(case.role)
    url = live.url(resolve(live, case.path), host=case.host or HOST)
    visit(page, url, shot=case.shot, status=case.status)
    # Swedish unless asked otherwise, and the page says what it is
    assert page.locator("html").get_attribute("lang") == "sv"
    assert case.heading in page.locator("h1").first.inner_text()
