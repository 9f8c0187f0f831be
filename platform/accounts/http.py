"""Facts about the incoming request that sign-in decisions need."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry TRUSTED_PROXY_COUNT proxies vouch for.

    X-Forwarded-For is only believed as far as our own proxies appended to it; anything further
    left was written by the client and could be forged to dodge the per-address lockout.
    """
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if hops <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if len(forwarded) < hops:
        return remote
    return forwarded[-hops]
