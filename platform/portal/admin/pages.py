"""Rendering an administration page with its own menu (the current page marked)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (label, url name, the url names that belong to the item)
ADMIN_MENU = (
    (_("Overview"), "portal:admin", ("admin",)),
    (_("Imports"), "portal:admin-imports", ("admin-imports", "admin-import")),
    (_("Protected identities"), "portal:admin-quarantine", ("admin-quarantine",)),
    (_("Users and roles"), "portal:admin-users", ("admin-users",)),
    (_("Access log"), "portal:admin-access-log", ("admin-access-log",)),
    (_("Settings"), "portal:admin-settings", ("admin-settings",)),
    (_("Text guard words"), "portal:admin-lexicon", ("admin-lexicon",)),
)


def admin_menu(request: HttpRequest) -> list[dict[str, Any]]:
    match = request.resolver_match
    current = (match.url_name if match is not None else "") or ""
    return [
        {
            "label": str(label),
            "url": reverse(url_name),
            "current": any(current == name or current.startswith(f"{name}-") for name in names)
            and not (names == ("admin",) and current != "admin"),
        }
        for label, url_name, names in ADMIN_MENU
    ]


def render_admin(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return render(request, template, {**context, "admin_menu": admin_menu(request)}, status=status)
