"""TOTP second factor: enrolment (an authenticator app) and verification for the session."""

from __future__ import annotations

import math
import time
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.models import User
from accounts.selectors import in_public_schema
from core.db import connection

# The secret offered during enrolment lives in the session until a code proves the app has it.
SESSION_TOTP_SETUP_KEY = "accounts.totp_setup_key"
DEVICE_NAME = "Authenticator app"


class InvalidTotpCode(Exception):
    """The code does not match (wrong, expired or already used)."""


class TotpThrottled(Exception):
    """Too many wrong codes lately: django-otp's back-off is in force."""

    def __init__(self, *, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class TotpSetup:
    secret: str  # base32, in groups of four, for typing into an app by hand
    config_url: str  # otpauth:// URL
    qr_svg: str  # inline <svg> of config_url
    issuer: str  # the name the app shows for the account


def totp_issuer() -> str:
    """The name authenticator apps show: the municipality's, so staff of two can tell them apart."""
    name = "" if in_public_schema() else str(getattr(connection.tenant, "name", "") or "")
    return f"Lärspår ({name})" if name else "Lärspår"


def totp_setup_key_new() -> str:
    return str(random_hex(20))


def totp_setup_describe(*, user: User, key: str) -> TotpSetup:
    device = TOTPDevice(user=user, key=key)  # never saved: only describes the offered secret
    raw = b32encode(device.bin_key).decode()
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage)
    svg = image.to_string(encoding="unicode")
    secret = " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return TotpSetup(secret=secret, config_url=device.config_url, qr_svg=svg, issuer=totp_issuer())


def _code(token: str) -> int | None:
    cleaned = token.replace(" ", "").strip()
    return int(cleaned) if cleaned.isdigit() and len(cleaned) in (6, 8) else None


@transaction.atomic
def totp_device_confirm(*, user: User, key: str, token: str) -> TOTPDevice:
    """Stores the enrolled app as the user's device once a code from it matches.

    Replaces any earlier device (callers allow that only in a session already verified with
    it). The matched code cannot be used again.
    """
    device = TOTPDevice(user=user, name=DEVICE_NAME, key=key, confirmed=True)
    code = _code(token)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if code is None or not totp.verify(code, device.tolerance):
        raise InvalidTotpCode
    device.last_t = totp.t()
    device.last_used_at = timezone.now()
    TOTPDevice.objects.filter(user=user).delete()
    device.save()
    return device


@transaction.atomic
def _totp_match(*, user: User, token: str) -> tuple[TOTPDevice | None, int]:
    """The device that accepts the code (django-otp counts failures and refuses replays)."""
    wait = 0
    for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed:
            locked_until = (data or {}).get("locked_until")
            if locked_until is not None:
                seconds = (locked_until - timezone.now()).total_seconds()
                wait = max(wait, 1, math.ceil(seconds))
            continue
        if device.verify_token(token.replace(" ", "").strip()):
            return device, 0
    return None, wait


def totp_verify(*, user: User, token: str) -> TOTPDevice:
    """The user's device that accepts the code; raises TotpThrottled or InvalidTotpCode.

    Failures are committed (the back-off must survive the refusal), so the raising happens
    outside the transaction.
    """
    device, wait = _totp_match(user=user, token=token)
    if device is not None:
        return device
    if wait:
        raise TotpThrottled(wait_seconds=wait)
    raise InvalidTotpCode


@transaction.atomic
def totp_device_reset(*, user: User) -> int:
    """Removes the user's authenticator app (lost phone); they enrol again at their next step-up.

    Sessions already verified with it stay verified until they end.
    """
    deleted, _by_model = TOTPDevice.objects.filter(user=user).delete()
    return deleted
