"""The portal's menu per role: every item leads to a page that exists, in Swedish."""

from __future__ import annotations

from django.utils import translation

from portal.navigation import menu_for
from portal.roles import PortalRoles


def _menu(**roles: bool) -> list[tuple[str, str]]:
    given = {"staff": False, "pupil": False, "guardian": False, "admin": False, **roles}
    with translation.override("sv"):
        return [(item["label"], item["url"]) for item in menu_for(PortalRoles(**given))]


def test_staff_reach_plans_assessment_matrices_and_talks() -> None:
    assert _menu(staff=True) == [
        ("Start", "/"),
        ("Planeringar", "/plans/"),
        ("Bedömning", "/grids/"),
        ("Bedömningsmatriser", "/matrices/"),
        ("Utvecklingssamtal", "/talks/"),
    ]


def test_pupils_guardians_and_admins_see_their_own_items_only() -> None:
    assert _menu(pupil=True) == [("Start", "/"), ("Mitt skolarbete", "/me/")]
    assert _menu(guardian=True) == [("Start", "/")]
    assert _menu(admin=True) == [("Start", "/"), ("Förvaltning", "/admin/")]
