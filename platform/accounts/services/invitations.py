"""Invitations: the only way a password is ever set for the first time."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Invitation, InvitationRole, User
from core.db import connection

INVITATION_VALIDITY = timedelta(days=7)


class InvitationInvalid(Exception):
    """The link is unknown, used or expired (one message for all three: no oracle)."""


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, email: str, role: str, user: User | None = None, send_email: bool = True, base_url: str = ""
) -> IssuedInvitation:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.strip().lower(),
        role=role,
        user=user,
        token_hash=hash_token(token),
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    if send_email and base_url:
        # Sent after commit, by the web process itself: the token must not travel through the
        # broker, and a rolled-back onboarding must not leave a working link in anyone's inbox.
        link = invitation_link(base_url=base_url, token=token)
        transaction.on_commit(lambda: _send_invitation_email(email=invitation.email, link=link))
    return IssuedInvitation(invitation=invitation, token=token)


def _send_invitation_email(*, email: str, link: str) -> None:
    send_mail(
        subject=_("Your Lärspår account"),
        message=_("Set your password and sign in to Lärspår here: %(link)s") % {"link": link},
        from_email=None,
        recipient_list=[email],
    )


def invitation_link(*, base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/invitation/{token}/"


def invitation_get_open(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=hash_token(token), accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.expires_at <= timezone.now():
        raise InvitationInvalid(_("The invitation link is invalid, used or expired."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Sets the password of the invited account (creating it for administrators)."""
    invitation = invitation_get_open(token=token)
    user = invitation.user or _account_for_invitation(invitation)
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    if invitation.role == InvitationRole.MUNICIPALITY_ADMIN:
        from tenants.services.lifecycle import municipality_mark_active

        municipality_mark_active(schema_name=connection.schema_name)
    return user


def _account_for_invitation(invitation: Invitation) -> User:
    user, _created = User.objects.get_or_create(
        username=invitation.email,
        defaults={"email": invitation.email, "is_active": False},
    )
    if invitation.role == InvitationRole.MUNICIPALITY_ADMIN:
        user.is_municipality_admin = True
    if invitation.role == InvitationRole.VENDOR_OPERATOR:
        user.is_staff = True
    user.save()
    return user
