"""Who may open the administration pages: municipality administrators with a second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import User
from accounts.policy import require_second_factor

ADMIN_ROLE = "municipality_admin"


def is_municipality_admin(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_municipality_admin", False)
    )


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed out: the sign-in page. Signed in but no administrator: 404 (the pages' existence
    is no secret, but nothing about them is shown). Administrators: the second factor first."""
    guarded = require_second_factor(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_municipality_admin(request.user):
            raise Http404
        return guarded(request, *args, **kwargs)

    return wrapped


def admin_of(request: HttpRequest) -> User:
    """The signed-in administrator (call in views behind admin_required only)."""
    return cast(User, request.user)
