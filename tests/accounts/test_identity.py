"""Sign-in methods per municipality and audience: password today, IdPs plug in later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts import identity
from accounts.identity import Audience, SignInMethod
from accounts.models import SignInPolicy
from accounts.services.sign_in import SESSION_METHOD_KEY
from tenants.models import Municipality
from tests.accounts.support import make_user, session_of, sign_in, signed_in_user_id
from tests.accounts.urls import EXAMPLE_IDP
from tests.conftest import TENANT_A, TENANT_B


class ExampleIdp(SignInMethod):
    """Stands in for a future SAML/BankID method: an IdP that also proves a second factor."""

    name = EXAMPLE_IDP
    label = "Example IdP"
    provides_second_factor = True

    def start_url(self, *, next_url: str = "") -> str:
        return "/example-idp/start/"


@pytest.fixture
def example_idp() -> Iterator[type[SignInMethod]]:
    identity.register(ExampleIdp)
    yield ExampleIdp
    identity.unregister(ExampleIdp.name)


def use_for_staff(schema: str, method: str) -> None:
    with schema_context(schema):
        SignInPolicy.objects.update_or_create(id=1, defaults={"staff_method": method})


def test_every_audience_signs_in_with_a_password_by_default(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        names = {audience: identity.method_for_audience(audience).name for audience in Audience}
        assert not SignInPolicy.objects.exists()  # reading the default wrote nothing
    assert names == {
        Audience.STAFF: "password",
        Audience.GUARDIAN: "password",
        Audience.PUPIL: "password",
    }


def test_staff_of_a_municipality_using_an_idp_cannot_use_a_password(
    tenant_a: Municipality, client_a: Client, client_b: Client, example_idp: type
) -> None:
    # Given A has staff sign in through an IdP; B keeps passwords
    use_for_staff(TENANT_A.slug, EXAMPLE_IDP)
    make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    make_user(TENANT_A.slug, username="elev")
    make_user(TENANT_B.slug, username="sara", is_school_staff=True)
    # When staff use the right password at A
    refused = sign_in(client_a, "sara")
    # Then A refuses it and points to the IdP; pupils at A and staff at B still use passwords
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "This account signs in through the municipality&#x27;s login." in html
    assert '<a class="button" href="/example-idp/start/">Sign in with Example IdP</a>' in html
    assert signed_in_user_id(client_a, TENANT_A.slug) is None
    assert sign_in(Client(HTTP_HOST=TENANT_A.domain), "elev").status_code == 302
    assert sign_in(client_b, "sara").status_code == 302
    with schema_context(TENANT_B.slug):
        assert not SignInPolicy.objects.exists()


def test_an_idp_that_proves_a_second_factor_satisfies_the_step_up(
    tenant_a: Municipality, client_a: Client, example_idp: type
) -> None:
    # Given staff signed in through an IdP that proves a second factor itself
    use_for_staff(TENANT_A.slug, EXAMPLE_IDP)
    make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    assert client_a.get("/probe/example-idp/sara/").status_code == 302
    # When they ask for pupil documentation
    response = client_a.get("/api/v1/probe/pupil-documentation")
    # Then no TOTP code is asked for, and the session remembers how they signed in
    assert response.status_code == 200
    assert session_of(client_a, TENANT_A.slug)[SESSION_METHOD_KEY] == EXAMPLE_IDP


def test_a_password_session_remembers_its_method(tenant_a: Municipality, client_a: Client) -> None:
    make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sign_in(client_a, "sara")
    assert session_of(client_a, TENANT_A.slug)[SESSION_METHOD_KEY] == "password"
    assert client_a.get("/api/v1/probe/pupil-documentation").status_code == 403
