"""The portal's menu, by role (Swedish first through gettext)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from access.policy import actor_for
from portal.roles import PortalRoles, roles_of


@dataclass(frozen=True)
class MenuItem:
    label: Any
    url_name: str


# Staff reach their groups, and guardians their children, from the start page.
STAFF_MENU = (
    MenuItem(_("Plans"), "portal:plans"),
    MenuItem(_("Assessment"), "portal:grids"),
    MenuItem(_("Assessment matrices"), "portal:matrices"),
    MenuItem(_("Development talks"), "portal:talks"),
)
PUPIL_MENU = (MenuItem(_("My school work"), "portal:me"),)
ADMIN_MENU = (MenuItem(_("Administration"), "portal:admin"),)


def menu_for(roles: PortalRoles) -> list[dict[str, str]]:
    items: list[MenuItem] = [MenuItem(_("Start"), "portal:home")]
    if roles.staff:
        items += STAFF_MENU
    if roles.pupil:
        items += PUPIL_MENU
    if roles.admin:
        items += ADMIN_MENU
    menu = []
    for item in items:
        try:
            menu.append({"label": str(item.label), "url": reverse(item.url_name)})
        except NoReverseMatch:
            continue  # a page not (yet) installed on this host
    return menu


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the menu for signed-in people on a municipality's host."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    if user is None or not user.is_authenticated or tenant is None:
        return {}
    if getattr(tenant, "schema_name", "public") == "public":
        return {}
    roles = roles_of(actor_for(user))
    return {"portal_menu": menu_for(roles), "portal_roles": roles}
