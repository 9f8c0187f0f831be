"""Plan templates over the API: staff only, and no pupil data (nothing to log)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from documentation.plans import selectors
from documentation.plans.api.common import DocumentationApi, PlanAuthorOutput, actor_of, parse
from documentation.plans.api.plans import DESCRIPTION_MAX, REFS_MAX, TEXT_MAX
from documentation.plans.models import PlanTemplate, TemplateScope
from documentation.plans.services.templates import template_create


class PlanTemplateInput(serializers.Serializer):
    scope = serializers.ChoiceField(choices=TemplateScope.choices)
    organisation_id = serializers.IntegerField(
        min_value=1, required=False, help_text="The school, for scope 'organisation'."
    )
    title = serializers.CharField(max_length=200)
    subject_code = serializers.CharField(max_length=32)
    description_html = serializers.CharField(
        max_length=DESCRIPTION_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    teaching_forms = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    assessment_forms = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    central_content_keys = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=REFS_MAX
    )
    knowledge_requirement_keys = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=REFS_MAX
    )
    acknowledge = serializers.BooleanField(default=False)


class PlanTemplateSchoolOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class PlanTemplateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    scope = serializers.CharField()
    organisation = PlanTemplateSchoolOutput(allow_null=True)
    title = serializers.CharField()
    subject_code = serializers.CharField()
    curriculum_version = serializers.IntegerField(allow_null=True)
    description_html = serializers.CharField()
    teaching_forms = serializers.CharField()
    assessment_forms = serializers.CharField()
    central_content_keys = serializers.ListField(child=serializers.CharField())
    knowledge_requirement_keys = serializers.ListField(child=serializers.CharField())
    created_by = PlanAuthorOutput()
    created_at = serializers.DateTimeField()


class PlanTemplateListApi(DocumentationApi):
    @extend_schema(
        parameters=[OpenApiParameter("subject", str, description="Templates for this subject")],
        responses=PlanTemplateOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        templates = selectors.template_list(
            actor_of(request), subject_code=str(request.query_params.get("subject", ""))[:32]
        )
        paginator = PageNumberPagination()
        page: list[PlanTemplate] = paginator.paginate_queryset(templates, request, view=self) or []
        return paginator.get_paginated_response(PlanTemplateOutput(page, many=True).data)

    @extend_schema(request=PlanTemplateInput, responses={201: PlanTemplateOutput})
    def post(self, request: Request) -> Response:
        data = parse(PlanTemplateInput, request)
        template = template_create(actor=actor_of(request), **data)
        return Response(PlanTemplateOutput(template).data, status=status.HTTP_201_CREATED)
