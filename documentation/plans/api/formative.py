"""The formative log (lärlogg) over the API. Every response names the pupils whose entries it
carries in one read-log entry (a group's entries name no pupil: ``object_ref`` has the group)."""

from __future__ import annotations

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
    int_param,
    log_read,
    parse,
)
from documentation.plans.models import FormativeEntry, Visibility
from documentation.plans.models.formative import ENTRY_TEXT_MAX
from documentation.plans.services import formative as services
from documentation.plans.services.formative import BULK_MAX


class FormativeEntryCreateInput(serializers.Serializer):
    pupil_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=BULK_MAX,
        help_text="The same entry for each of these pupils (one entry each).",
    )
    group_id = serializers.IntegerField(
        min_value=1, required=False, help_text="One entry for the whole group."
    )
    plan_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    date = serializers.DateField(required=False, help_text="Today if not given.")
    text = serializers.CharField(max_length=ENTRY_TEXT_MAX)
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    draft = serializers.BooleanField(
        default=False, help_text="Keep it unpublished (staff only) until published."
    )
    acknowledge = serializers.BooleanField(default=False)


class FormativeEntryUpdateInput(serializers.Serializer):
    plan_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    date = serializers.DateField(required=False)
    text = serializers.CharField(max_length=ENTRY_TEXT_MAX, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    publish = serializers.BooleanField(required=False, help_text="true publishes a draft.")
    acknowledge = serializers.BooleanField(default=False)


class FormativePupilOutput(serializers.Serializer):
    id = serializers.IntegerField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()


class FormativeEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    pupil = FormativePupilOutput(allow_null=True)
    group = PlanGroupOutput(allow_null=True)
    plan_id = serializers.IntegerField(allow_null=True)
    date = serializers.DateField()
    text = serializers.CharField()
    visibility = serializers.CharField()
    status = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(allow_null=True)
    batch = serializers.UUIDField(help_text="Entries written together share it.")
    author = PlanAuthorOutput()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_status(self, entry: FormativeEntry) -> str:
        return "draft" if entry.published_at is None else "published"


class FormativeEntriesCreatedOutput(serializers.Serializer):
    batch = serializers.UUIDField()
    entries = FormativeEntryOutput(many=True)


def _pupils_of(entries: list[FormativeEntry]) -> set[int]:
    return {e.pupil_id for e in entries if e.pupil_id is not None}


def _ref_of(entry: FormativeEntry) -> str:
    about = f"pupil:{entry.pupil_id}" if entry.pupil_id else f"group:{entry.group_id}"
    return f"entry:{entry.pk} {about}"


class FormativeEntryListApi(DocumentationApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("pupil", int, description="Entries about this pupil"),
            OpenApiParameter("group", int, description="Entries for this group"),
        ],
        responses=FormativeEntryOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        filters = {"pupil": int_param(request, "pupil"), "group": int_param(request, "group")}
        entries = selectors.entry_list(actor, pupil_id=filters["pupil"], group_id=filters["group"])
        paginator = PageNumberPagination()
        page: list[FormativeEntry] = paginator.paginate_queryset(entries, request, view=self) or []
        log_read(
            request,
            actor,
            resource="plans.formative_entry.list",
            pupil_ids=_pupils_of(page),
            object_ref=urlencode(sorted((k, str(v)) for k, v in filters.items() if v)),
        )
        return paginator.get_paginated_response(FormativeEntryOutput(page, many=True).data)

    @extend_schema(
        request=FormativeEntryCreateInput, responses={201: FormativeEntriesCreatedOutput}
    )
    def post(self, request: Request) -> Response:
        """One entry for a group, or the same entry for several pupils, in one request."""
        actor = actor_of(request)
        data = parse(FormativeEntryCreateInput, request)
        with transaction.atomic():
            created = services.formative_entry_create(
                actor=actor,
                pupil_ids=data.get("pupil_ids") or (),
                group_id=data.get("group_id"),
                plan_id=data.get("plan_id"),
                date=data.get("date") or actor.on,
                text=data["text"],
                visibility=data["visibility"],
                draft=data["draft"],
                acknowledge=data["acknowledge"],
            )
            entries = list(selectors.entry_list(actor).filter(pk__in=[e.pk for e in created]))
            log_read(
                request,
                actor,
                resource="plans.formative_entry.create",
                pupil_ids=_pupils_of(entries),
                object_ref=f"batch:{created[0].batch}",
            )
        body = FormativeEntriesCreatedOutput({"batch": created[0].batch, "entries": entries}).data
        return Response(body, status=status.HTTP_201_CREATED)


class FormativeEntryDetailApi(DocumentationApi):
    @extend_schema(responses=FormativeEntryOutput)
    def get(self, request: Request, entry_id: int) -> Response:
        actor = actor_of(request)
        entry = selectors.entry_get(actor, entry_id)
        log_read(
            request,
            actor,
            resource="plans.formative_entry.detail",
            pupil_ids=_pupils_of([entry]),
            object_ref=_ref_of(entry),
        )
        return Response(FormativeEntryOutput(entry).data)

    @extend_schema(request=FormativeEntryUpdateInput, responses=FormativeEntryOutput)
    def patch(self, request: Request, entry_id: int) -> Response:
        actor = actor_of(request)
        data = parse(FormativeEntryUpdateInput, request, partial=True)
        acknowledge = data.pop("acknowledge", False)
        publish = data.pop("publish", None)
        with transaction.atomic():
            services.formative_entry_update(
                actor=actor,
                entry_id=entry_id,
                changes=data,
                publish=publish,
                acknowledge=acknowledge,
            )
            entry = selectors.entry_get(actor, entry_id)
            log_read(
                request,
                actor,
                resource="plans.formative_entry.update",
                pupil_ids=_pupils_of([entry]),
                object_ref=_ref_of(entry),
            )
        return Response(FormativeEntryOutput(entry).data)
