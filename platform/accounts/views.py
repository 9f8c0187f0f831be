"""Sign-in, sign-out and invitation acceptance; the same on the platform host and tenant hosts."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from accounts.services.invitations import InvitationInvalid, invitation_accept, invitation_get_open


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


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


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
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("/")
    return render(request, "accounts/invitation.html", {"form": form})
