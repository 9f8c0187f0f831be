"""Login accounts.

The app lives in the public schema and in every municipality's schema. In the public schema an
account is a vendor operator (and nothing else lives there); in a municipality's schema it is a
member of staff, a pupil or a guardian whose account the register import manages.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    # Set for the municipality's own administrators (the first comes from onboarding).
    is_municipality_admin = models.BooleanField(_("municipality administrator"), default=False)
    # Kept by the register import: the person has a current duty (works at a school unit).
    # Staff must pass the second factor before they may read pupil documentation.
    is_school_staff = models.BooleanField(_("school staff"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class InvitationRole(models.TextChoices):
    MUNICIPALITY_ADMIN = "municipality_admin", _("Municipality administrator")
    VENDOR_OPERATOR = "vendor_operator", _("Vendor operator")
    ACCOUNT_HOLDER = "account_holder", _("Account holder")


class Invitation(models.Model):
    """A one-time link that lets a person set the password of their account.

    Only a SHA-256 of the token is stored: the token itself exists in the link alone.
    """

    email = models.EmailField(_("e-mail"))
    role = models.CharField(max_length=32, choices=InvitationRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    # For an existing account (register imports create accounts before anyone can log in).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation({self.role}) #{self.pk}"
