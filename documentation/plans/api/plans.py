"""Pedagogical plans over the API. A plan is a group's document: its reads are logged without
pupil ids (it names none), with the plan or the filter in ``object_ref``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from documentation.plans import selectors
from documentation.plans.api.common import (
    DocumentationApi,
    PlanAuthorOutput,
    PlanGroupOutput,
    actor_of,
    flag_param,
    int_param,
    log_read,
    parse,
)
from documentation.plans.models import PedagogicalPlan
from documentation.plans.services import plans as services

TEXT_MAX = 10_000
DESCRIPTION_MAX = 50_000
REFS_MAX = 200
CONTENT_FIELDS = (
    "title",
    "subject_code",
    "description_html",
    "teaching_forms",
    "assessment_forms",
    "central_content_keys",
    "knowledge_requirement_keys",
)


def _refs() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=REFS_MAX
    )


class PlanContentInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    subject_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    description_html = serializers.CharField(
        max_length=DESCRIPTION_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    teaching_forms = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    assessment_forms = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    central_content_keys = _refs()
    knowledge_requirement_keys = _refs()
    acknowledge = serializers.BooleanField(
        default=False, help_text="Save although the text guard found something."
    )


class PlanCreateInput(PlanContentInput):
    group_id = serializers.IntegerField(min_value=1, required=False)
    activity_id = serializers.IntegerField(min_value=1, required=False)
    template_id = serializers.IntegerField(
        min_value=1, required=False, help_text="Start from this template; given fields win."
    )
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class PlanVersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    at = serializers.DateTimeField()
    author = PlanAuthorOutput()
    snapshot = serializers.DictField()


class PlanOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.SerializerMethodField()
    group = PlanGroupOutput(allow_null=True)
    activity = PlanGroupOutput(allow_null=True)
    subject_code = serializers.CharField()
    curriculum_version = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    description_html = serializers.CharField(help_text="Sanitised HTML.")
    teaching_forms = serializers.CharField()
    assessment_forms = serializers.CharField()
    central_content_keys = serializers.ListField(child=serializers.CharField())
    knowledge_requirement_keys = serializers.ListField(child=serializers.CharField())
    template_id = serializers.IntegerField(allow_null=True)
    current_version = serializers.IntegerField()
    author = PlanAuthorOutput()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    archived_at = serializers.DateTimeField(allow_null=True)

    def get_status(self, plan: PedagogicalPlan) -> str:
        if plan.archived_at is not None:
            return "archived"
        return "draft" if plan.published_at is None else "published"


class PlanCreatedOutput(PlanOutput):
    template_references_left_out = serializers.ListField(
        child=serializers.CharField(),
        help_text="The template's references with no item of the same key in today's version.",
    )


class PlanVersionsOutput(serializers.Serializer):
    plan_id = serializers.IntegerField()
    versions = PlanVersionOutput(many=True)


class PlanPublishInput(serializers.Serializer):
    acknowledge = serializers.BooleanField(default=False)


def _ref(plan: PedagogicalPlan) -> str:
    return f"plan:{plan.pk}"


class PlanListApi(DocumentationApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("group", int, description="Plans of this group"),
            OpenApiParameter("activity", int, description="Plans of this activity"),
            OpenApiParameter("archived", bool, description="Archived plans instead"),
        ],
        responses=PlanOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        filters = {
            "group": int_param(request, "group"),
            "activity": int_param(request, "activity"),
            "archived": flag_param(request, "archived") or None,
        }
        plans = selectors.plan_list(
            actor,
            group_id=filters["group"],
            activity_id=filters["activity"],
            archived=bool(filters["archived"]),
        )
        paginator = PageNumberPagination()
        page: list[PedagogicalPlan] = paginator.paginate_queryset(plans, request, view=self) or []
        log_read(
            request,
            actor,
            resource="plans.plan.list",
            object_ref=urlencode(sorted((k, str(v)) for k, v in filters.items() if v)),
        )
        return paginator.get_paginated_response(PlanOutput(page, many=True).data)

    @extend_schema(request=PlanCreateInput, responses={201: PlanCreatedOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        data = parse(PlanCreateInput, request)
        target = {"group_id": data.get("group_id"), "activity_id": data.get("activity_id")}
        with transaction.atomic():
            if data.get("template_id"):
                plan, left_out = services.plan_create_from_template(
                    actor=actor,
                    template_id=data["template_id"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    overrides={k: data[k] for k in CONTENT_FIELDS if k in data},
                    acknowledge=data["acknowledge"],
                    **target,
                )
            else:
                content: dict[str, Any] = {k: data[k] for k in CONTENT_FIELDS if k in data}
                plan = services.plan_create(
                    actor=actor,
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    acknowledge=data["acknowledge"],
                    group_id=target["group_id"],
                    activity_id=target["activity_id"],
                    title=content.pop("title", ""),
                    **content,
                )
                left_out = []
            log_read(request, actor, resource="plans.plan.create", object_ref=_ref(plan))
        plan = selectors.plan_get(actor, plan.pk)
        body: dict[str, Any] = {
            **PlanOutput(plan).data,
            "template_references_left_out": left_out,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class PlanDetailApi(DocumentationApi):
    @extend_schema(responses=PlanOutput)
    def get(self, request: Request, plan_id: int) -> Response:
        actor = actor_of(request)
        plan = selectors.plan_get(actor, plan_id)
        log_read(request, actor, resource="plans.plan.detail", object_ref=_ref(plan))
        return Response(PlanOutput(plan).data)

    @extend_schema(request=PlanContentInput, responses=PlanOutput)
    def patch(self, request: Request, plan_id: int) -> Response:
        """Changes a draft, or makes the next version of a published plan."""
        actor = actor_of(request)
        data = parse(PlanContentInput, request, partial=True)
        acknowledge = data.pop("acknowledge", False)
        with transaction.atomic():
            plan = services.plan_update(
                actor=actor, plan_id=plan_id, changes=data, acknowledge=acknowledge
            )
            log_read(request, actor, resource="plans.plan.update", object_ref=_ref(plan))
        return Response(PlanOutput(selectors.plan_get(actor, plan.pk)).data)

    @extend_schema(request=None, responses={405: None})
    def delete(self, request: Request, plan_id: int) -> Response:
        """Refused: plans are archived, never deleted."""
        services.plan_delete(actor=actor_of(request), plan_id=plan_id)


class PlanPublishApi(DocumentationApi):
    @extend_schema(request=PlanPublishInput, responses=PlanOutput)
    def post(self, request: Request, plan_id: int) -> Response:
        actor = actor_of(request)
        data = parse(PlanPublishInput, request)
        with transaction.atomic():
            plan = services.plan_publish(
                actor=actor, plan_id=plan_id, acknowledge=data["acknowledge"]
            )
            log_read(request, actor, resource="plans.plan.publish", object_ref=_ref(plan))
        return Response(PlanOutput(selectors.plan_get(actor, plan.pk)).data)


class PlanArchiveApi(DocumentationApi):
    @extend_schema(request=None, responses=PlanOutput)
    def post(self, request: Request, plan_id: int) -> Response:
        actor = actor_of(request)
        with transaction.atomic():
            plan = services.plan_archive(actor=actor, plan_id=plan_id)
            log_read(request, actor, resource="plans.plan.archive", object_ref=_ref(plan))
        return Response(PlanOutput(selectors.plan_get(actor, plan.pk)).data)


class PlanVersionsApi(DocumentationApi):
    @extend_schema(responses=PlanVersionsOutput)
    def get(self, request: Request, plan_id: int) -> Response:
        actor = actor_of(request)
        plan, versions = selectors.plan_versions(actor, plan_id)
        body = PlanVersionsOutput({"plan_id": plan.pk, "versions": list(versions)}).data
        log_read(request, actor, resource="plans.plan.versions", object_ref=_ref(plan))
        return Response(body)
