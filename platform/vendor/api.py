"""The vendor's REST API (platform host only): municipalities and their onboarding."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.models import Municipality
from tenants.services.onboarding import MunicipalityAlreadyExists, municipality_onboard
from vendor.permissions import IsVendorOperator
from vendor.selectors import municipality_list


class MunicipalityOutput(serializers.Serializer):
    slug = serializers.CharField(source="schema_name")
    name = serializers.CharField()
    code = serializers.CharField()
    status = serializers.CharField()
    domains = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_domains(self, obj: Municipality) -> list[str]:
        return [d.domain for d in obj.domains.all()]


class OnboardingInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=10)
    slug = serializers.CharField(max_length=63)
    domain = serializers.CharField(max_length=253)
    admin_email = serializers.CharField(max_length=254)


class MunicipalityListCreateApi(APIView):
    permission_classes = [IsVendorOperator]

    @extend_schema(responses=MunicipalityOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(MunicipalityOutput(municipality_list(), many=True).data)

    @extend_schema(request=OnboardingInput, responses={201: MunicipalityOutput})
    def post(self, request: Request) -> Response:
        form = OnboardingInput(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(form.validated_data)
        try:
            result = municipality_onboard(**data)
        except MunicipalityAlreadyExists as exists:
            return Response({"detail": str(exists)}, status=status.HTTP_409_CONFLICT)
        # The invitation link goes to the administrator's e-mail only, never to the vendor: an
        # operator holding it could make themselves the municipality's administrator.
        return Response(MunicipalityOutput(result.municipality).data, status=201)
