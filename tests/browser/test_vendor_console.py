"""A vendor operator onboards a municipality from the console; its administrator takes over."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import InvitationRole
from accounts.services.invitations import invitation_create
from tests.browser.conftest import Live
from tests.browser.seed import NEW_MUNICIPALITY, OPERATOR_USERNAME
from tests.browser.support import checked, click_through, path_of, submit_sign_in, visit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker

NEW_ADMIN_PASSWORD = "Stenungsund-rektor-2026"


def test_an_operator_onboards_a_municipality_whose_administrator_then_signs_in(
    live: Live, open_page: Callable[..., Page]
) -> None:
    # Given an operator who opens the console on the platform host and is asked to sign in
    page = open_page()
    visit(page, live.platform_url("/"))
    assert path_of(page).startswith("/login/")
    submit_sign_in(page, OPERATOR_USERNAME)
    assert path_of(page) == "/"
    checked(page)
    expect(page.locator("h1")).to_have_text("Kommuner")
    # When they fill in the onboarding form and send it
    fields = {
        "#id_name": NEW_MUNICIPALITY["name"],
        "#id_code": NEW_MUNICIPALITY["code"],
        "#id_slug": NEW_MUNICIPALITY["slug"],
        "#id_domain": NEW_MUNICIPALITY["domain"],
        "#id_admin_email": NEW_MUNICIPALITY["admin_email"],
    }
    for selector, value in fields.items():
        page.locator(selector).fill(value)
    click_through(page, page.get_by_role("button", name="Anslut", exact=True))
    # Then the console says so and lists the new municipality with its host, onboarding
    checked(page, "operator-console-onboarded")
    expect(page.locator(".messages")).to_contain_text(
        f"{NEW_MUNICIPALITY['name']} är ansluten; inbjudan skickades med e-post till "
        f"{NEW_MUNICIPALITY['admin_email']}"
    )
    row = page.get_by_role("row").filter(has_text=NEW_MUNICIPALITY["domain"])
    expect(row).to_contain_text(NEW_MUNICIPALITY["name"])
    expect(row).to_contain_text("Ansluts")

    # And the new municipality answers on its own host at once
    host = NEW_MUNICIPALITY["domain"]
    visit(page, live.url("/login/", host=host))
    expect(page.locator(".brand")).to_contain_text(NEW_MUNICIPALITY["name"])
    # When its first administrator follows an invitation link (the e-mailed one went to the
    # server process's outbox; an equal one is issued here) and chooses a password
    with schema_context(NEW_MUNICIPALITY["slug"]):
        token = invitation_create(
            email=NEW_MUNICIPALITY["admin_email"],
            role=InvitationRole.MUNICIPALITY_ADMIN,
            send_email=False,
        ).token
    visit(page, live.url(f"/invitation/{token}/", host=host), shot="admin-invitation")
    page.locator("#id_password").fill(NEW_ADMIN_PASSWORD)
    page.locator("#id_password_again").fill(NEW_ADMIN_PASSWORD)
    click_through(page, page.locator("main form button[type=submit]"))
    # Then they are signed in on the new municipality's start page
    assert page.url == live.url("/", host=host)
    checked(page)
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
