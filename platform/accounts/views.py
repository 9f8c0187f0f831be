"""Sign-in, sign-out, invitation acceptance and the TOTP second factor.

The same on the platform host and on municipality hosts.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp import login as otp_login

from accounts.http import client_ip
from accounts.identity import PasswordSignIn, external_methods
from accounts.models import User
from accounts.policy import is_verified
from accounts.selectors import totp_device_confirmed_exists
from accounts.services.invitations import InvitationInvalid, invitation_accept, invitation_get_open
from accounts.services.sign_in import (
    SESSION_IDLE_SIGNED_OUT_KEY,
    SignInFailed,
    SignInLocked,
    SignInMethodRefused,
    session_begin,
    sign_in_with_password,
)
from accounts.services.two_factor import (
    SESSION_TOTP_SETUP_KEY,
    InvalidTotpCode,
    TotpThrottled,
    totp_device_confirm,
    totp_setup_describe,
    totp_setup_key_new,
    totp_verify,
)


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("New password"), widget=forms.PasswordInput)
    password_again = forms.CharField(
        label=gettext_lazy("New password again"), widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, str]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            raise ValidationError(gettext_lazy("The two passwords differ."))
        return data


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("Wrong user name or password."),
    }
    locked: SignInLocked | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = sign_in_with_password(
                    request=self.request,
                    username=username,
                    password=password,
                    ip=client_ip(self.request) if self.request else "",
                )
            except SignInLocked as locked:
                self.locked = locked
                raise ValidationError(locked.message, code="locked") from None
            except SignInMethodRefused as refused:
                raise ValidationError(str(refused), code="method") from None
            except SignInFailed:
                raise self.get_invalid_login_error() from None
        return self.cleaned_data


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        session_begin(request=self.request, user=form.get_user(), method=PasswordSignIn)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        locked = getattr(form, "locked", None)
        if locked is not None:
            response.status_code = 429
            response["Retry-After"] = str(locked.minutes * 60)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        next_url = context.get("next", "")
        context["external_methods"] = [
            {"label": method.label, "url": method.start_url(next_url=next_url)}
            for method in external_methods()
        ]
        if self.request.method == "GET":
            context["idle_signed_out_minutes"] = self.request.session.pop(
                SESSION_IDLE_SIGNED_OUT_KEY, None
            )
        return context


class LogoutView(auth_views.LogoutView):
    next_page = "/login/"


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    with transaction.atomic():
        try:
            invitation_get_open(token=token)
        except InvitationInvalid as invalid:
            return render(
                request, "accounts/invitation_invalid.html", {"error": invalid}, status=404
            )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["password"])
        except InvitationInvalid as invalid:
            return render(
                request, "accounts/invitation_invalid.html", {"error": invalid}, status=404
            )
        except ValidationError as weak:
            form.add_error("password", weak)
        else:
            session_begin(request=request, user=user, method=PasswordSignIn)
            return redirect("/")
    return render(request, "accounts/invitation.html", {"form": form})


# --- Second factor ------------------------------------------------------------------------------


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code from your authenticator app"),
        max_length=9,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrols an authenticator app: QR code and the secret as text, then one code to confirm."""
    user: User = request.user  # type: ignore[assignment]
    next_url = _safe_next(request)
    if totp_device_confirmed_exists(user=user) and not is_verified(user):
        # Replacing a device needs the old one first, or a password alone would defeat it.
        return redirect(_with_next("two-factor-verify", request.get_full_path()))
    key = request.session.get(SESSION_TOTP_SETUP_KEY)
    if not isinstance(key, str):
        key = totp_setup_key_new()
        request.session[SESSION_TOTP_SETUP_KEY] = key
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_device_confirm(user=user, key=key, token=form.cleaned_data["code"])
        except InvalidTotpCode:
            form.add_error(
                "code",
                _("That code is not right. Check the clock on your phone and try a new code."),
            )
        else:
            request.session.pop(SESSION_TOTP_SETUP_KEY, None)
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect(next_url)
    setup = totp_setup_describe(user=user, key=key)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": setup.secret,
            "issuer": setup.issuer,
            # Our own SVG, generated from the otpauth URL by qrcode: no user input in it.
            "qr_svg": mark_safe(setup.qr_svg),  # noqa: S308
            "next": next_url,
            "replacing": totp_device_confirmed_exists(user=user),
        },
    )


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Asks for a code from the enrolled app and marks this session as verified."""
    user: User = request.user  # type: ignore[assignment]
    next_url = _safe_next(request)
    if not totp_device_confirmed_exists(user=user):
        return redirect(_with_next("two-factor-setup", next_url))
    form = TotpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_verify(user=user, token=form.cleaned_data["code"])
        except TotpThrottled as throttled:
            status = 429
            form.add_error(
                "code",
                ngettext(
                    "Too many wrong codes. Wait %(seconds)d second and try again.",
                    "Too many wrong codes. Wait %(seconds)d seconds and try again.",
                    throttled.wait_seconds,
                )
                % {"seconds": throttled.wait_seconds},
            )
        except InvalidTotpCode:
            form.add_error(
                "code",
                _("That code is not right. Check the clock on your phone and try a new code."),
            )
        else:
            otp_login(request, device)
            return redirect(next_url)
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": next_url}, status=status
    )
