from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.services.sign_in import session_touch


class IdleSessionTimeoutMiddleware:
    """Signs out sessions left unused longer than the municipality's session_idle_minutes.

    Install directly after django.contrib.auth.middleware.AuthenticationMiddleware (before
    django_otp's OTPMiddleware, which then sees the signed-out user).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_touch(request=request)
        return self.get_response(request)
