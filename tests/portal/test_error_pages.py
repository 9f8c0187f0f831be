"""The error pages: Swedish by default, in the portal's layout, and safe to render when the
request, the session or the database is what failed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from access.policy import actor_for
from documentation.talks.services.talks import TalkInput, talk_create
from tests.access.http import signed_in_client
from tests.access.world import build_world
from tests.conftest import TENANT_A, TENANT_B

NOT_FOUND_SV = "Sidan hittades inte"


def test_a_missing_page_answers_the_swedish_404(tenant_a: object) -> None:
    # When someone opens an address that does not exist, on a municipality's host and on the
    # vendor's
    answers = [
        Client(HTTP_HOST=TENANT_A.domain).get("/no-such-page/"),
        Client(HTTP_HOST=settings.PLATFORM_DOMAIN).get("/no-such-page/"),
    ]
    # Then both answer 404 with the Swedish page in the portal's layout
    for answer in answers:
        html = answer.content.decode()
        assert answer.status_code == 404
        assert '<html lang="sv">' in html
        assert f"<h1>{NOT_FOUND_SV}</h1>" in html
        assert f"<title>{NOT_FOUND_SV} \u2013 Lärspår</title>" in html
        assert '<main id="main" tabindex="-1">' in html
        assert '<a href="/">Till startsidan</a>' in html
        assert "Traceback" not in html


def test_another_municipalitys_document_answers_the_same_404(tenant_a: object) -> None:
    # Given a talk in Ale, and a teacher of Borås signed in at Borås
    with schema_context(TENANT_A.slug):
        world_a = build_world()
        talk = talk_create(
            actor=actor_for(world_a.users["teacher_5a"]),
            pupil_id=world_a.people["p5a_1"].pk,
            data=TalkInput(notes="Vi pratade om läsning."),
        )
    with schema_context(TENANT_B.slug):
        world_b = build_world()
    teacher_b = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    # When they open the Ale talk's id (in Swedish) at their own host
    answer = teacher_b.get(f"/talks/{talk.pk}/", HTTP_ACCEPT_LANGUAGE="sv")
    # Then it is the plain 404 page: nothing says the document exists elsewhere
    html = answer.content.decode()
    assert answer.status_code == 404
    assert f"<h1>{NOT_FOUND_SV}</h1>" in html
    assert "läsning" not in html


@pytest.mark.parametrize(
    ("template", "heading"), [("404.html", NOT_FOUND_SV), ("500.html", "Något gick fel")]
)
def test_the_error_pages_render_without_request_or_database(template: str, heading: str) -> None:
    # Given no request and no database access (this test has none: pytest-django blocks it)
    with translation.override("sv"):
        # When the page is rendered with an empty context, as Django renders 500.html
        html = render_to_string(template)
    # Then it is the Swedish page with its landmarks and skip link
    assert '<html lang="sv">' in html
    assert f"<h1>{heading}</h1>" in html
    assert '<a class="skip-link" href="#main">Hoppa till innehållet</a>' in html
    assert '<header class="site-header">' in html
