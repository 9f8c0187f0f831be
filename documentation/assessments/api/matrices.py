"""Assessment matrices over HTTP: list, create, read, replace a draft, delete a draft, publish,
archive, copy; and the municipality's assessment settings. Matrices are teaching material, not
pupil data: these endpoints write no read-log entries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from documentation.assessments.api.common import (
    AssessmentApi,
    actor_of,
    refuse_out_of_scope_deep,
)
from documentation.assessments.models import AssessmentMatrix, MatrixKind, Visibility
from documentation.assessments.selectors import (
    assessment_settings_get,
    author_name,
    matrix_detail,
    matrix_get,
    matrix_list,
)
from documentation.assessments.services.matrices import (
    MatrixInput,
    RowInput,
    matrix_archive,
    matrix_copy,
    matrix_create,
    matrix_delete,
    matrix_publish,
    matrix_update,
)
from documentation.assessments.services.settings import assessment_settings_update

# --- Serializers (parse and render only) ---------------------------------------------------------


class RowInputSerializer(serializers.Serializer):
    aspect = serializers.CharField(max_length=1000)
    knowledge_requirement_key = serializers.CharField(
        max_length=200, allow_blank=True, default="",
        help_text='"<subject code>:<version>:<key>", as the curriculum app names it.',
    )  # fmt: skip
    descriptions = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=4000, trim_whitespace=False),
        default=list,
        help_text="The cell texts of this row, one per level in level order.",
    )


class MatrixInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    subject_code = serializers.CharField(max_length=30, allow_blank=True, default="")
    curriculum_version = serializers.CharField(max_length=30, allow_blank=True, default="")
    organisation = serializers.IntegerField(allow_null=True, default=None)
    levels = serializers.ListField(
        child=serializers.CharField(max_length=100), help_text="Level labels, lowest first."
    )
    rows = RowInputSerializer(many=True)
    acknowledge = serializers.BooleanField(
        default=False, help_text="Save although the text guard found something."
    )

    def to_input(self) -> MatrixInput:
        data = self.validated_data
        return MatrixInput(
            title=data["title"],
            subject_code=data["subject_code"],
            curriculum_version=data["curriculum_version"],
            organisation_id=data["organisation"],
            levels=list(data["levels"]),
            rows=[
                RowInput(
                    aspect=row["aspect"],
                    knowledge_requirement_key=row["knowledge_requirement_key"],
                    descriptions=tuple(row["descriptions"]),
                )
                for row in data["rows"]
            ],
        )


class MatrixCreateSerializer(MatrixInputSerializer):
    kind = serializers.ChoiceField(choices=MatrixKind.choices, default=MatrixKind.TEACHER)


class MatrixOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    subject_code = serializers.CharField()
    curriculum_version = serializers.CharField()
    owner_id = serializers.IntegerField()
    organisation_id = serializers.IntegerField(allow_null=True)
    derived_from_id = serializers.IntegerField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    archived_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class LevelOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # (Field.label)


class CellTextOutput(serializers.Serializer):
    level_id = serializers.IntegerField()
    description = serializers.CharField()


class RowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    aspect = serializers.CharField()
    knowledge_requirement_key = serializers.CharField()
    cells = CellTextOutput(many=True, source="cell_texts.all")


class MatrixDetailOutput(MatrixOutput):
    owner = serializers.SerializerMethodField()
    levels = LevelOutput(many=True, source="levels.all")
    rows = RowOutput(many=True, source="rows.all")

    def get_owner(self, matrix: AssessmentMatrix) -> str:
        owner = matrix.owner
        return author_name(owner.first_name, owner.last_name, owner.username)


def _detail(request: Request, matrix_id: int, *, status_code: int = 200) -> Response:
    matrix = matrix_detail(actor_of(request), matrix_id)
    return Response(MatrixDetailOutput(matrix).data, status=status_code)


# --- Views ---------------------------------------------------------------------------------------


class MatrixListApi(AssessmentApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("subject_code", str),
            OpenApiParameter("kind", str, enum=MatrixKind.values),
            OpenApiParameter("archived", bool, description="Archived matrices too"),
        ],
        responses=MatrixOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        matrices: QuerySet[AssessmentMatrix] = matrix_list(actor_of(request))
        params = request.query_params
        if params.get("subject_code"):
            matrices = matrices.filter(subject_code=params["subject_code"])
        if params.get("kind"):
            matrices = matrices.filter(kind=params["kind"])
        if params.get("archived") not in {"1", "true"}:
            matrices = matrices.filter(archived_at__isnull=True)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(matrices.order_by("title", "pk"), request, view=self)
        return paginator.get_paginated_response(MatrixOutput(page or [], many=True).data)

    @extend_schema(request=MatrixCreateSerializer, responses={201: MatrixDetailOutput})
    def post(self, request: Request) -> Response:
        refuse_out_of_scope_deep(request.data)
        parsed = MatrixCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        matrix = matrix_create(
            actor=actor_of(request),
            kind=parsed.validated_data["kind"],
            data=parsed.to_input(),
            acknowledged_text_guard=parsed.validated_data["acknowledge"],
        )
        return _detail(request, matrix.pk, status_code=status.HTTP_201_CREATED)


class MatrixDetailApi(AssessmentApi):
    @extend_schema(responses=MatrixDetailOutput)
    def get(self, request: Request, matrix_id: int) -> Response:
        return _detail(request, matrix_id)

    @extend_schema(request=MatrixInputSerializer, responses=MatrixDetailOutput)
    def put(self, request: Request, matrix_id: int) -> Response:
        """Replaces a draft (title, references, levels, rows, cell texts)."""
        refuse_out_of_scope_deep(request.data)
        actor = actor_of(request)
        matrix = matrix_get(actor, matrix_id)
        parsed = MatrixInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        matrix_update(
            actor=actor,
            matrix=matrix,
            data=parsed.to_input(),
            acknowledged_text_guard=parsed.validated_data["acknowledge"],
        )
        return _detail(request, matrix_id)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, matrix_id: int) -> Response:
        actor = actor_of(request)
        matrix_delete(actor=actor, matrix=matrix_get(actor, matrix_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MatrixPublishApi(AssessmentApi):
    @extend_schema(request=None, responses=MatrixDetailOutput)
    def post(self, request: Request, matrix_id: int) -> Response:
        actor = actor_of(request)
        matrix_publish(actor=actor, matrix=matrix_get(actor, matrix_id))
        return _detail(request, matrix_id)


class MatrixArchiveApi(AssessmentApi):
    @extend_schema(request=None, responses=MatrixDetailOutput)
    def post(self, request: Request, matrix_id: int) -> Response:
        actor = actor_of(request)
        matrix_archive(actor=actor, matrix=matrix_get(actor, matrix_id))
        return _detail(request, matrix_id)


class MatrixCopyInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MatrixKind.choices, default=MatrixKind.TEACHER)


class MatrixCopyApi(AssessmentApi):
    @extend_schema(request=MatrixCopyInput, responses={201: MatrixDetailOutput})
    def post(self, request: Request, matrix_id: int) -> Response:
        actor = actor_of(request)
        parsed = MatrixCopyInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        copy = matrix_copy(
            actor=actor, matrix=matrix_get(actor, matrix_id), kind=parsed.validated_data["kind"]
        )
        return _detail(request, copy.pk, status_code=status.HTTP_201_CREATED)


class AssessmentSettingsSerializer(serializers.Serializer):
    skolverket_visibility = serializers.ChoiceField(choices=Visibility.choices)


class AssessmentSettingsApi(AssessmentApi):
    """Who sees published Skolverket-based matrices (read by staff, changed by administrators)."""

    @extend_schema(responses=AssessmentSettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(AssessmentSettingsSerializer(assessment_settings_get()).data)

    @extend_schema(request=AssessmentSettingsSerializer, responses=AssessmentSettingsSerializer)
    def put(self, request: Request) -> Response:
        parsed = AssessmentSettingsSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        data: dict[str, Any] = parsed.validated_data
        settings = assessment_settings_update(
            actor=actor_of(request), skolverket_visibility=data["skolverket_visibility"]
        )
        return Response(AssessmentSettingsSerializer(settings).data)
