"""Step-up: staff prove a second factor in this session before they read pupil documentation.

Use `require_second_factor` on HTML views and `HasSecondFactor` on API views (after
IsAuthenticated or a role check), e.g. ``permission_classes = [IsAuthenticated, HasSecondFactor]``.
Pupils and guardians are not asked (their strong sign-in comes from BankID later). API tokens
never satisfy the check: integrations reach pupil data only through scopes (HasScope).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.identity import registered
from accounts.selectors import totp_device_confirmed_exists
from accounts.services.sign_in import SESSION_METHOD_KEY

SECOND_FACTOR_REQUIRED = "second_factor_required"


def second_factor_required_for(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff and municipality administrators need a second factor for pupil documentation."""
    staff = getattr(user, "is_school_staff", False)
    admin = getattr(user, "is_municipality_admin", False)
    return bool(user.is_authenticated and (staff or admin))


def is_verified(user: AbstractBaseUser | AnonymousUser) -> bool:
    """django-otp's flag: a device verified this session (OTPMiddleware installs is_verified)."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def second_factor_satisfied(request: HttpRequest | Request) -> bool:
    """Whether this request may read pupil documentation as far as the second factor goes.

    False for anonymous requests and for API tokens; True for signed-in people who need no
    second factor; for staff, True once a TOTP code was verified in this session, or when they
    signed in with a method whose IdP proved a second factor itself.
    """
    user = request.user
    if not user.is_authenticated:
        return False
    if not second_factor_required_for(user):
        return True
    if is_verified(user):
        return True
    method = registered(str(request.session.get(SESSION_METHOD_KEY, "")))
    return bool(method is not None and method.provides_second_factor)


def require_second_factor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """View decorator: sign-in first, then the TOTP code (or enrolment) before the view runs."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not second_factor_satisfied(request):
            step = (
                "two-factor-verify"
                if totp_device_confirmed_exists(user=request.user)
                else "two-factor-setup"
            )
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped


class HasSecondFactor(BasePermission):
    """API permission: 403 {"detail": ..., "code": "second_factor_required"} until verified."""

    message: Any = None

    def has_permission(self, request: Request, view: APIView) -> bool:
        if second_factor_satisfied(request):
            return True
        if request.user.is_authenticated:
            self.message = {
                "detail": _("Verify your one-time code before you read pupil documentation."),
                "code": SECOND_FACTOR_REQUIRED,
            }
        return False
