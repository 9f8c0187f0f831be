"""Signing in: lockout counted per municipality, the password check, the session and its idle end.

Failed attempts are counted in the municipality's own schema (SignInThrottle), so municipalities
never share counters: per user name (N failures within the window lock that user name for the
cool-down) and per client address (a much higher limit that slows password spraying across many
user names). A successful sign-in resets its user name's counter, never the address's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.identity import SignInMethod, password_sign_in_allowed
from accounts.models import SignInThrottle, ThrottleScope, User
from accounts.selectors import session_idle_seconds

# Session keys (the session lives in the municipality's schema).
SESSION_METHOD_KEY = "accounts.sign_in_method"
SESSION_LAST_ACTIVITY_KEY = "accounts.last_activity"
SESSION_IDLE_SIGNED_OUT_KEY = "accounts.idle_signed_out_minutes"


@dataclass(frozen=True)
class LockoutPolicy:
    failures: int
    window: timedelta
    cooldown: timedelta
    ip_failures: int


def lockout_policy() -> LockoutPolicy:
    return LockoutPolicy(
        failures=int(getattr(settings, "SIGN_IN_LOCKOUT_FAILURES", 5)),
        window=timedelta(minutes=int(getattr(settings, "SIGN_IN_LOCKOUT_WINDOW_MINUTES", 15))),
        cooldown=timedelta(minutes=int(getattr(settings, "SIGN_IN_LOCKOUT_MINUTES", 15))),
        ip_failures=int(getattr(settings, "SIGN_IN_IP_FAILURES", 100)),
    )


class SignInLocked(Exception):
    """Too many failures for this user name or from this address: no password is checked."""

    def __init__(self, *, retry_after: timedelta) -> None:
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds() / 60))

    @property
    def message(self) -> str:
        return ngettext(
            "Too many failed attempts, try again in %(minutes)d minute.",
            "Too many failed attempts, try again in %(minutes)d minutes.",
            self.minutes,
        ) % {"minutes": self.minutes}


class SignInFailed(Exception):
    """Unknown user name, wrong password or inactive account: one answer for all (no oracle)."""


class SignInMethodRefused(Exception):
    """The password was right, but this municipality has the account sign in through its IdP."""


def username_key(username: str) -> str:
    return username.strip().casefold()[:254]


def sign_in_lock_remaining(
    *, username: str, ip: str, now: datetime | None = None
) -> timedelta | None:
    """How long this user name or address is still locked out, or None."""
    now = now or timezone.now()
    keys = Q(scope=ThrottleScope.USERNAME, key=username_key(username))
    if ip:
        keys |= Q(scope=ThrottleScope.IP, key=ip)
    until = SignInThrottle.objects.filter(keys, locked_until__gt=now).aggregate(
        until=Max("locked_until")
    )["until"]
    return until - now if until else None


@transaction.atomic
def sign_in_record_failure(
    *, username: str, ip: str, now: datetime | None = None
) -> timedelta | None:
    """Counts one failed sign-in; returns the lockout it started (or was already in), if any."""
    now = now or timezone.now()
    policy = lockout_policy()
    remaining: timedelta | None = None
    for scope, key, limit in (
        (ThrottleScope.USERNAME, username_key(username), policy.failures),
        (ThrottleScope.IP, ip, policy.ip_failures),
    ):
        if not key or limit <= 0:
            continue
        row, _created = SignInThrottle.objects.select_for_update().get_or_create(
            scope=scope, key=key, defaults={"window_started_at": now}
        )
        if row.locked_until and row.locked_until > now:
            remaining = max(remaining or timedelta(0), row.locked_until - now)
            continue
        if row.window_started_at <= now - policy.window:
            row.failures = 0
            row.window_started_at = now
        row.failures += 1
        row.locked_until = None
        if row.failures >= limit:
            # Counting starts over after the cool-down.
            row.locked_until = now + policy.cooldown
            row.failures = 0
            row.window_started_at = now
            remaining = max(remaining or timedelta(0), policy.cooldown)
        row.save()
    sign_in_throttle_purge(now=now)
    return remaining


@transaction.atomic
def sign_in_record_success(*, username: str) -> None:
    SignInThrottle.objects.filter(scope=ThrottleScope.USERNAME, key=username_key(username)).delete()


@transaction.atomic
def sign_in_throttle_purge(*, now: datetime | None = None) -> int:
    """Removes counters whose window is over and that lock nothing (they would restart anyway)."""
    now = now or timezone.now()
    stale = SignInThrottle.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        window_started_at__lte=now - lockout_policy().window,
    )
    deleted, _by_model = stale.delete()
    return deleted


def sign_in_with_password(
    *, request: HttpRequest | None, username: str, password: str, ip: str
) -> User:
    """Checks a password sign-in against the lockout, the password and the sign-in policy.

    Raises SignInLocked (nothing checked, or this failure started a lockout), SignInFailed or
    SignInMethodRefused. Does not start the session: see session_begin.
    """
    remaining = sign_in_lock_remaining(username=username, ip=ip)
    if remaining is not None:
        raise SignInLocked(retry_after=remaining)
    user = authenticate(request, username=username, password=password)
    if user is None:
        remaining = sign_in_record_failure(username=username, ip=ip)
        if remaining is not None:
            raise SignInLocked(retry_after=remaining)
        raise SignInFailed(_("Wrong user name or password."))
    if not password_sign_in_allowed(user):
        raise SignInMethodRefused(_("This account signs in through the municipality's login."))
    sign_in_record_success(username=username)
    return cast(User, user)


def session_begin(*, request: HttpRequest, user: User, method: type[SignInMethod] | str) -> None:
    """Signs the user into this request's session, remembering how, with the idle limit set."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_METHOD_KEY] = method if isinstance(method, str) else method.name
    idle = session_idle_seconds()
    request.session[SESSION_LAST_ACTIVITY_KEY] = int(time.time())
    request.session.set_expiry(idle)


def session_touch(*, request: HttpRequest, now: float | None = None) -> bool:
    """Signs an idle session out, or records this request as activity. False if signed out.

    The limit is the municipality's current setting, so lowering it applies to open sessions at
    their next request; the session's own expiry (storage and cookie) follows it as well.
    """
    if not request.user.is_authenticated:
        return True
    idle = session_idle_seconds()
    current = int(now if now is not None else time.time())
    last = request.session.get(SESSION_LAST_ACTIVITY_KEY)
    if isinstance(last, int) and current - last > idle:
        logout(request)
        request.session[SESSION_IDLE_SIGNED_OUT_KEY] = max(1, idle // 60)
        return False
    request.session[SESSION_LAST_ACTIVITY_KEY] = current
    request.session.set_expiry(idle)
    return True
