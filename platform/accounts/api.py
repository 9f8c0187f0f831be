from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiScope, User
from accounts.permissions import IsMunicipalityAdmin
from accounts.policy import HasSecondFactor, second_factor_required_for, second_factor_satisfied
from accounts.selectors import api_token_get, api_token_list
from accounts.services.api_tokens import api_token_create, api_token_revoke


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    is_municipality_admin = serializers.BooleanField()
    is_school_staff = serializers.BooleanField()
    second_factor_required = serializers.BooleanField()
    second_factor_verified = serializers.BooleanField()


class MeApi(APIView):
    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        data = {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_municipality_admin": user.is_municipality_admin,
            "is_school_staff": user.is_school_staff,
            "second_factor_required": second_factor_required_for(user),
            "second_factor_verified": second_factor_satisfied(request),
        }
        return Response(MeOutput(data).data)


# --- API tokens (municipality administrators, after the second factor) -------------------------


class ApiTokenOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    created_by = serializers.CharField(source="created_by.username", allow_null=True)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiTokenCreatedOutput(ApiTokenOutput):
    token = serializers.CharField(help_text="The secret: shown in this response only.")


class ApiTokenInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiScope.choices), allow_empty=False
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenListCreateApi(APIView):
    # People only: a token can never mint or revoke tokens.
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsMunicipalityAdmin, HasSecondFactor]

    @extend_schema(responses=ApiTokenOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(ApiTokenOutput(api_token_list(), many=True).data)

    @extend_schema(request=ApiTokenInput, responses={201: ApiTokenCreatedOutput})
    def post(self, request: Request) -> Response:
        form = ApiTokenInput(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(form.validated_data)
        token, plaintext = api_token_create(
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
            created_by=request.user,  # type: ignore[arg-type]
        )
        body = {**ApiTokenOutput(token).data, "token": plaintext}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsMunicipalityAdmin, HasSecondFactor]

    @extend_schema(request=None, responses=ApiTokenOutput)
    def post(self, request: Request, token_id: int) -> Response:
        token = api_token_revoke(
            token=api_token_get(token_id=token_id),
            revoked_by=request.user,  # type: ignore[arg-type]
        )
        return Response(ApiTokenOutput(token).data)
