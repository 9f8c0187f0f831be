"""TOTP step-up: staff verify a one-time code in the session before reading pupil documentation."""

from __future__ import annotations

import re
from base64 import b32encode
from binascii import unhexlify

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from accounts.services.two_factor import (
    SESSION_TOTP_SETUP_KEY,
    totp_device_reset,
    totp_setup_describe,
)
from core.db import connection
from tenants.models import Municipality
from tests.accounts.support import (
    code_for,
    code_for_key,
    make_device,
    make_user,
    session_of,
    sign_in,
)
from tests.conftest import TENANT_A, TENANT_B

PUPIL_API = "/api/v1/probe/pupil-documentation"
PUPIL_PAGE = "/probe/pupil-documentation/"
VERIFY = "/account/two-factor/verify/"
SETUP = "/account/two-factor/setup/"
STEP_UP_BODY = {
    "detail": "Verify your one-time code before you read pupil documentation.",
    "code": "second_factor_required",
}
WRONG_CODE = "That code is not right. Check the clock on your phone and try a new code."


def device_state(schema: str, user: User) -> list[tuple[int, int, bool]]:
    with schema_context(schema):
        return [
            (d.last_t, d.throttling_failure_count, d.confirmed)
            for d in TOTPDevice.objects.filter(user=user).order_by("pk")
        ]


def secret_on(html: str) -> str:
    found = re.search(r'<code class="totp-secret" id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    "flags", [{"is_school_staff": True}, {"is_municipality_admin": True}], ids=["staff", "admin"]
)
def test_staff_without_a_verified_code_get_403_second_factor_required(
    tenant_a: Municipality, client_a: Client, flags: dict[str, bool]
) -> None:
    # Given a member of staff (or an administrator) signed in with a password only
    make_user(TENANT_A.slug, username="sara", **flags)
    sign_in(client_a, "sara")
    # When they ask for pupil documentation
    response = client_a.get(PUPIL_API)
    # Then the answer says a second factor is needed
    assert response.status_code == 403
    assert response.json() == STEP_UP_BODY


def test_staff_who_verify_a_code_may_read_pupil_documentation(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given staff with an enrolled app, signed in with a password
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    device = make_device(TENANT_A.slug, sara)
    sign_in(client_a, "sara")
    # When they enter the app's current code
    response = client_a.post(VERIFY, {"code": code_for(device), "next": PUPIL_PAGE})
    # Then they are sent on, and pupil documentation opens in this session
    assert response.status_code == 302
    assert response["Location"] == PUPIL_PAGE
    assert client_a.get(PUPIL_API).json() == {"documentation": "visible"}
    assert client_a.get(PUPIL_PAGE).content == b"pupil documentation"
    assert client_a.get("/api/v1/me").json()["second_factor_verified"] is True


def test_pupils_and_guardians_need_no_second_factor(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given an account that is neither staff nor administrator
    make_user(TENANT_A.slug, username="elev")
    sign_in(client_a, "elev")
    # When it asks for pupil documentation
    api = client_a.get(PUPIL_API)
    page = client_a.get(PUPIL_PAGE)
    # Then no code is asked for
    assert (api.status_code, page.status_code) == (200, 200)
    me = client_a.get("/api/v1/me").json()
    assert (me["second_factor_required"], me["second_factor_verified"]) == (False, True)


def test_anonymous_requests_are_not_asked_for_a_code(db: None, client_a: Client) -> None:
    response = client_a.get(PUPIL_API)
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    page = client_a.get(PUPIL_PAGE)
    assert page["Location"] == f"/login/?next={PUPIL_PAGE}"


def test_pages_send_staff_to_enrolment_or_verification(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given staff without an app
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sign_in(client_a, "sara")
    # When they open a pupil documentation page, they are sent to enrol
    first = client_a.get(PUPIL_PAGE)
    assert first.status_code == 302
    assert first["Location"] == f"{SETUP}?next=%2Fprobe%2Fpupil-documentation%2F"
    # And once they have an app, to verify
    make_device(TENANT_A.slug, sara)
    second = client_a.get(PUPIL_PAGE)
    assert second["Location"] == f"{VERIFY}?next=%2Fprobe%2Fpupil-documentation%2F"


def test_enrolment_shows_a_qr_code_and_the_secret_and_confirms_with_a_code(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given staff without an app
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sign_in(client_a, "sara")
    # When they open the enrolment page
    page = client_a.get(f"{SETUP}?next={PUPIL_PAGE}")
    html = page.content.decode()
    key = session_of(client_a, TENANT_A.slug)[SESSION_TOTP_SETUP_KEY]
    # Then it shows an inline SVG QR code and the same secret as text, in groups of four
    assert page.status_code == 200
    assert re.search(r"<svg[^>]*>.*<path", html, re.S)
    assert secret_on(html) == " ".join(re.findall(".{1,4}", b32encode(unhexlify(key)).decode()))
    assert device_state(TENANT_A.slug, sara) == []  # nothing stored before a code proves it
    # When they enter the app's code
    done = client_a.post(SETUP, {"code": code_for_key(key), "next": PUPIL_PAGE})
    # Then the app is their device and this session is verified
    assert done.status_code == 302
    assert done["Location"] == PUPIL_PAGE
    assert [(c, confirmed) for _t, c, confirmed in device_state(TENANT_A.slug, sara)] == [(0, True)]
    assert client_a.get(PUPIL_API).status_code == 200
    assert SESSION_TOTP_SETUP_KEY not in session_of(client_a, TENANT_A.slug)


def test_the_authenticator_label_names_the_municipality(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given staff of A on the enrolment page
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sign_in(client_a, "sara")
    first = client_a.get(SETUP).content.decode()
    key = session_of(client_a, TENANT_A.slug)[SESSION_TOTP_SETUP_KEY]
    # When the page is loaded again
    again = client_a.get(SETUP).content.decode()
    # Then it offers the same secret, and names the account "Lärspår (Ale kommun)" in the app
    assert session_of(client_a, TENANT_A.slug)[SESSION_TOTP_SETUP_KEY] == key
    assert (
        secret_on(first)
        == secret_on(again)
        == " ".join(re.findall(".{1,4}", b32encode(unhexlify(key)).decode()))
    )
    assert "Lärspår (Ale kommun)" in again
    connection.set_tenant(tenant_a)
    url = totp_setup_describe(user=sara, key=key).config_url
    assert url.startswith("otpauth://totp/L%C3%A4rsp%C3%A5r%20%28Ale%20kommun%29%3Asara?")
    assert url.endswith("&issuer=L%C3%A4rsp%C3%A5r%20%28Ale%20kommun%29")


def test_a_wrong_code_at_enrolment_stores_nothing(tenant_a: Municipality, client_a: Client) -> None:
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sign_in(client_a, "sara")
    client_a.get(SETUP)
    key = session_of(client_a, TENANT_A.slug)[SESSION_TOTP_SETUP_KEY]
    wrong = f"{(int(code_for_key(key)) + 1) % 1_000_000:06d}"
    response = client_a.post(SETUP, {"code": wrong})
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert device_state(TENANT_A.slug, sara) == []
    assert client_a.get(PUPIL_API).status_code == 403


def test_replacing_a_device_needs_the_old_one_first(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given staff with an app, signed in with the password only (say, a stolen password)
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    make_device(TENANT_A.slug, sara)
    before = device_state(TENANT_A.slug, sara)
    sign_in(client_a, "sara")
    # When the enrolment page is opened, or a new secret is posted to it
    page = client_a.get(SETUP)
    post = client_a.post(SETUP, {"code": "123456"})
    # Then both are sent to verify with the existing app, and the device is unchanged
    assert page.status_code == 302
    assert page["Location"] == f"{VERIFY}?next=%2Faccount%2Ftwo-factor%2Fsetup%2F"
    assert post.status_code == 302
    assert device_state(TENANT_A.slug, sara) == before


def test_a_code_cannot_be_used_twice(tenant_a: Municipality, client_a: Client) -> None:
    # Given a code already used in one session
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    device = make_device(TENANT_A.slug, sara)
    code = code_for(device)
    sign_in(client_a, "sara")
    assert client_a.post(VERIFY, {"code": code}).status_code == 302
    # When someone replays it in another session
    other = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en")
    sign_in(other, "sara")
    response = other.post(VERIFY, {"code": code})
    # Then it is refused
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert other.get(PUPIL_API).json() == STEP_UP_BODY


def test_wrong_codes_slow_down_further_tries(
    tenant_a: Municipality, client_a: Client, settings: SettingsWrapper
) -> None:
    # Given django-otp's back-off of 60 seconds after a wrong code
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    device = make_device(TENANT_A.slug, sara)
    sign_in(client_a, "sara")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    assert WRONG_CODE in client_a.post(VERIFY, {"code": wrong}).content.decode()
    # When the right code follows at once
    response = client_a.post(VERIFY, {"code": code_for(device)})
    # Then it is refused until the back-off is over
    assert response.status_code == 429
    assert re.search(
        r"Too many wrong codes\. Wait (59|60) seconds and try again\.", response.content.decode()
    )
    assert client_a.get(PUPIL_API).status_code == 403
    assert device_state(TENANT_A.slug, sara)[0][1] == 1


def test_a_verified_session_of_a_is_nothing_at_b(
    tenant_a: Municipality, client_a: Client, client_b: Client
) -> None:
    # Given staff verified at A, and a namesake with an app at B
    sara_a = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sara_b = make_user(TENANT_B.slug, username="sara", is_school_staff=True)
    device_a = make_device(TENANT_A.slug, sara_a)
    make_device(TENANT_B.slug, sara_b)
    sign_in(client_a, "sara")
    client_a.post(VERIFY, {"code": code_for(device_a)})
    before_b = device_state(TENANT_B.slug, sara_b)
    before_a = device_state(TENANT_A.slug, sara_a)
    # When A's cookie is sent to B's pupil documentation, verification and enrolment
    client_b.cookies = client_a.cookies
    api = client_b.get(PUPIL_API)
    verify = client_b.post(VERIFY, {"code": code_for(device_a)})
    setup = client_b.get(SETUP)
    # Then B knows no such session, and no device in either municipality changed
    assert api.status_code == 403
    assert api.json() == {"detail": "Authentication credentials were not provided."}
    assert verify["Location"] == f"/login/?next={VERIFY}"
    assert setup["Location"] == f"/login/?next={SETUP}"
    assert device_state(TENANT_B.slug, sara_b) == before_b
    assert device_state(TENANT_A.slug, sara_a) == before_a


def test_a_code_from_an_app_enrolled_at_a_does_not_verify_at_b(
    tenant_a: Municipality, client_b: Client
) -> None:
    # Given sara's app enrolled at A, and a namesake at B with an app of her own
    sara_a = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sara_b = make_user(TENANT_B.slug, username="sara", is_school_staff=True)
    device_a = make_device(TENANT_A.slug, sara_a)
    make_device(TENANT_B.slug, sara_b)
    sign_in(client_b, "sara")
    # When the A app's code is entered at B
    response = client_b.post(VERIFY, {"code": code_for(device_a)})
    # Then B refuses it and the session stays unverified
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert client_b.get(PUPIL_API).json() == STEP_UP_BODY


def test_a_reset_device_means_enrolling_again(tenant_a: Municipality, client_a: Client) -> None:
    # Given staff whose phone was lost, and a namesake with an app at B
    sara = make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sara_b = make_user(TENANT_B.slug, username="sara", is_school_staff=True)
    make_device(TENANT_A.slug, sara)
    make_device(TENANT_B.slug, sara_b)
    before_b = device_state(TENANT_B.slug, sara_b)
    # When support resets her device at A
    with schema_context(TENANT_A.slug):
        assert totp_device_reset(user=sara) == 1
    # Then her next step-up at A is an enrolment, and B's device is untouched
    sign_in(client_a, "sara")
    response = client_a.get(PUPIL_PAGE)
    assert response["Location"] == f"{SETUP}?next=%2Fprobe%2Fpupil-documentation%2F"
    assert device_state(TENANT_A.slug, sara) == []
    assert device_state(TENANT_B.slug, sara_b) == before_b
