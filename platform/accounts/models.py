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
    # Set when the register import deactivated the account because the person left the
    # register; only then may the import reactivate it (never an administrator's lockout).
    deactivated_by_register_at = models.DateTimeField(null=True, blank=True)

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


# --- Sign-in methods ---------------------------------------------------------------------------


class SignInMethodName(models.TextChoices):
    """Sign-in methods a municipality can choose per audience (see accounts/identity.py).

    Only methods with an implementation in accounts.identity belong here: Skolfederation (SAML),
    OIDC and BankID join when they are built.
    """

    PASSWORD = "password", _("Password (with a one-time code for staff)")


class SignInPolicy(models.Model):
    """Which sign-in method each audience of this municipality uses. One row per schema."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    staff_method = models.CharField(
        _("staff sign in with"),
        max_length=32,
        choices=SignInMethodName.choices,
        default=SignInMethodName.PASSWORD,
    )
    guardian_method = models.CharField(
        _("guardians sign in with"),
        max_length=32,
        choices=SignInMethodName.choices,
        default=SignInMethodName.PASSWORD,
    )
    pupil_method = models.CharField(
        _("pupils sign in with"),
        max_length=32,
        choices=SignInMethodName.choices,
        default=SignInMethodName.PASSWORD,
    )

    class Meta:
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="single_sign_in_policy_row")
        ]

    def __str__(self) -> str:
        return "SignInPolicy"


# --- Lockout -----------------------------------------------------------------------------------


class ThrottleScope(models.TextChoices):
    USERNAME = "username", _("User name")
    IP = "ip", _("IP address")


class SignInThrottle(models.Model):
    """Failed sign-ins counted per user name and per client address, in this schema only.

    Rows are short-lived: accounts.services.sign_in removes them once both the counting window
    and any cool-down are over, and a successful sign-in removes the user name's row.
    """

    scope = models.CharField(max_length=16, choices=ThrottleScope.choices)
    key = models.CharField(max_length=254)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="sign_in_throttle_scope_key")
        ]
        indexes = [models.Index(fields=["window_started_at"], name="sign_in_throttle_window")]

    def __str__(self) -> str:
        return f"SignInThrottle({self.scope}:{self.key})"


# --- API tokens --------------------------------------------------------------------------------


class ApiScope(models.TextChoices):
    """What an integration token may do. Add a member (and check it with HasScope) to extend."""

    IMPORTS_WRITE = "imports:write", _("Send register imports")
    REGISTER_READ = "register:read", _("Read the school register")
    ACCESS_LOG_READ = "access_log:read", _("Read the access log")


class ApiToken(models.Model):
    """A municipality's token for one integration. Only a SHA-256 of the secret is stored."""

    name = models.CharField(_("name"), max_length=100)
    # The first characters after "lsp_", shown so people can tell tokens apart.
    prefix = models.CharField(_("prefix"), max_length=8)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"ApiToken({self.name}, lsp_{self.prefix}…)"
