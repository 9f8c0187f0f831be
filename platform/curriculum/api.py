"""Read-only curriculum API on municipality hosts (reference data, no pupil data: no read log).

    GET /api/v1/curriculum/subjects?school_type=GR&q=mat[&on=YYYY-MM-DD | &version=N | all]
    GET /api/v1/curriculum/subjects/{code}[?version=N | ?on=YYYY-MM-DD]

Any signed-in person of the municipality may read (API tokens are not people: refused). Items
carry their natural key (code, version, key): what a document stores to refer to them.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from curriculum.models import Subject
from curriculum.selectors import ALL_VERSIONS, subject_detail, subject_list, subject_versions


class CentralContentOutput(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    key = serializers.CharField()
    position = serializers.IntegerField()
    year_span = serializers.CharField(help_text="Years the item is for, e.g. 1-3; empty in GY.")
    section = serializers.CharField(help_text="The heading the item stands under.")
    content_type = serializers.CharField()
    text = serializers.CharField()


class KnowledgeRequirementOutput(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    key = serializers.CharField()
    position = serializers.IntegerField()
    year = serializers.CharField(help_text="End of which year, e.g. 6; empty in GY.")
    grade_step = serializers.CharField(help_text="E, D, C, B, A; empty: acceptable knowledge.")
    heading = serializers.CharField()
    requirement_type = serializers.CharField()
    text = serializers.CharField()


class CourseSummaryOutput(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    points = serializers.IntegerField(allow_null=True)


class CourseOutput(CourseSummaryOutput):
    english_name = serializers.CharField()
    description = serializers.CharField()
    central_content = CentralContentOutput(many=True, source="content_items")
    knowledge_requirements = KnowledgeRequirementOutput(many=True, source="requirement_items")


class SubjectOutput(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    school_type = serializers.CharField()
    school_types = serializers.ListField(child=serializers.CharField())
    curriculum = serializers.CharField(help_text="e.g. LGR22, GY11; empty when unknown.")
    type_of_syllabus = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    courses = CourseSummaryOutput(many=True, source="current_courses")


class VersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    modified_on = serializers.DateField(allow_null=True)


class SubjectDetailOutput(SubjectOutput):
    english_name = serializers.CharField()
    modified_on = serializers.DateField(allow_null=True)
    description = serializers.CharField()
    purpose = serializers.CharField()
    central_content = CentralContentOutput(many=True, source="content_items")
    knowledge_requirements = KnowledgeRequirementOutput(many=True, source="requirement_items")
    courses = CourseOutput(many=True, source="current_courses")
    versions = serializers.SerializerMethodField(help_text="Every version held, newest first.")

    def get_versions(self, subject: Subject) -> list[dict[str, object]]:
        return VersionOutput(subject_versions(code=subject.code), many=True).data  # type: ignore[return-value]


VERSION_PARAM = OpenApiParameter(
    "version", str, description='A version number, or "all" (list only) for every version.'
)
ON_PARAM = OpenApiParameter(
    "on", dt.date, description="The version valid on this date (default: today)."
)


def _on(request: Request) -> dt.date | None:
    value = str(request.query_params.get("on", "")).strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"on": [_("Enter a date as YYYY-MM-DD.")]}) from None


def _version(request: Request, *, allow_all: bool) -> int | str | None:
    value = str(request.query_params.get("version", "")).strip()
    if not value:
        return None
    if allow_all and value == ALL_VERSIONS:
        return ALL_VERSIONS
    if value.isdigit() and len(value) < 10:
        return int(value)
    raise ValidationError({"version": [_("Enter a version number.")]})


class SubjectListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("school_type", str, description="Skolverket's code: GR, GY, ..."),
            OpenApiParameter("q", str, description="Search by code or name"),
            VERSION_PARAM,
            ON_PARAM,
        ],
        responses=SubjectOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        subjects = subject_list(
            school_type=str(request.query_params.get("school_type", "")).strip()[:16],
            search=str(request.query_params.get("q", ""))[:100],
            version=_version(request, allow_all=True),
            on=_on(request),
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(subjects, request, view=self) or []
        return paginator.get_paginated_response(SubjectOutput(page, many=True).data)


class SubjectDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[VERSION_PARAM, ON_PARAM], responses=SubjectDetailOutput)
    def get(self, request: Request, code: str) -> Response:
        version = _version(request, allow_all=False)
        subject = subject_detail(
            code=code[:32], version=int(version) if version is not None else None, on=_on(request)
        )
        return Response(SubjectDetailOutput(subject).data)
