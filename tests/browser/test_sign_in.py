"""Signing in with a password and a TOTP code, as a teacher does in a real browser."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Live
from tests.browser.support import (
    checked,
    click_through,
    code_from_hex,
    code_from_secret,
    path_of,
    submit_code,
    submit_sign_in,
    visit,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker


def test_a_teacher_sets_up_an_authenticator_app_on_the_first_pupil_page_then_signs_out(
    live: Live, open_page: Callable[..., Page]
) -> None:
    # Given a teacher without an authenticator app, who opens a pupil's page
    page = open_page()
    wilma = live.pupil_path("p8b_1")
    visit(page, live.url(wilma))
    assert path_of(page).startswith("/login/?next=")
    # When they sign in with their password
    submit_sign_in(page, "mentor_8b")
    # Then they are asked to set up an app first, with the key written out as text
    assert path_of(page).startswith("/account/two-factor/setup/")
    checked(page, "teacher-two-factor-setup", mask=(".qr-code", "#totp-secret"))
    secret = page.locator("#totp-secret").inner_text()
    # When they enter the code their app shows for that key
    submit_code(page, code_from_secret(secret))
    # Then they reach the pupil's page, told that two-factor sign-in is set up
    assert path_of(page) == wilma
    expect(page.locator(".messages")).to_contain_text("Tvåfaktorsautentiseringen är inställd")
    expect(page.locator("h1")).to_have_text(live.world.full_name("p8b_1"))
    checked(page)
    # When they sign out
    click_through(page, page.get_by_role("button", name="Logga ut"))
    # Then they are on the sign-in page, and the pupil's page asks for a sign-in again
    assert path_of(page).startswith("/login/")
    checked(page)
    page.goto(live.url(wilma))
    assert path_of(page).startswith("/login/?next=")


def test_a_teacher_with_an_app_signs_in_with_a_code_after_a_wrong_password_and_code(
    live: Live, open_page: Callable[..., Page]
) -> None:
    page = open_page()
    alva = live.pupil_path("p5a_1")
    visit(page, live.url(f"/login/?next={alva}"))
    # A wrong password: told so, in an alert the screen reader announces
    submit_sign_in(page, "specped_5a", password="not the password")
    expect(page.get_by_role("alert")).to_contain_text("Fel användarnamn eller lösenord")
    checked(page, "anonymous-login-wrong-password")
    # The right one: the app's code is asked for before any pupil data is shown
    submit_sign_in(page, "specped_5a")
    assert path_of(page).startswith("/account/two-factor/verify/")
    checked(page, "teacher-two-factor-verify")
    submit_code(page, "000000" if code_from_hex(_key(live)) != "000000" else "111111")
    expect(page.get_by_role("alert")).to_be_visible()
    checked(page, "teacher-two-factor-wrong-code")
    time.sleep(1.2)  # django-otp's back-off after one wrong code (OTP_TOTP_THROTTLE_FACTOR=1)
    submit_code(page, live.clock.fresh_code(_key(live)))
    assert path_of(page) == alva
    expect(page.locator("h1")).to_have_text(live.world.full_name("p5a_1"))


def _key(live: Live) -> str:
    return live.world.device_keys["specped_5a"]
