"""The tenant URLs plus probes standing in for pupil-data endpoints that other apps provide."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import HasScope
from accounts.policy import HasSecondFactor, require_second_factor
from accounts.services.sign_in import session_begin
from config.urls_tenant import urlpatterns as tenant_patterns

EXAMPLE_IDP = "example_idp"


@require_second_factor
def pupil_documentation_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pupil documentation")


class PupilDocumentationApi(APIView):
    permission_classes = [IsAuthenticated, HasSecondFactor]

    def get(self, request: Request) -> Response:
        return Response({"documentation": "visible"})


class RegisterApi(APIView):
    permission_classes = [HasScope("register:read")]

    def get(self, request: Request) -> Response:
        return Response({"token": request.auth.name})


def example_idp_callback(request: HttpRequest, username: str) -> HttpResponse:
    """What a future IdP callback does once the IdP vouched for `username`."""
    session_begin(request=request, user=User.objects.get(username=username), method=EXAMPLE_IDP)
    return redirect("/")


urlpatterns = [
    *tenant_patterns,
    path("probe/pupil-documentation/", pupil_documentation_page),
    path("api/v1/probe/pupil-documentation", PupilDocumentationApi.as_view()),
    path("api/v1/probe/register", RegisterApi.as_view()),
    path("probe/example-idp/<str:username>/", example_idp_callback),
]
