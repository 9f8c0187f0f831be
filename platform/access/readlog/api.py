"""Reviewing the read log: for the municipality's administrators only (403 for everyone else;
the endpoint's existence is no secret). Each review is itself logged ("access_log.review" or
"access_log.export", no pupil ids, the filters in object_ref): it reveals who read whom."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.readlog.models import AccessLogEntry
from access.readlog.selectors import access_log_list
from access.readlog.services import access_log_record
from accounts.models import User
from accounts.permissions import IsMunicipalityAdmin
from core.db import connection

ADMIN_ROLE = "municipality_admin"
EXPORT_CHUNK = 2000


class AccessLogFilter(serializers.Serializer):
    pupil = serializers.IntegerField(required=False, min_value=1, help_text="A pupil's person id.")
    actor = serializers.IntegerField(required=False, min_value=1, help_text="A user id.")
    since = serializers.DateField(required=False, help_text="First day (inclusive).")
    until = serializers.DateField(required=False, help_text="Last day (inclusive).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": _("The last day is before the first.")})
        return attrs


class AccessLogEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor_id = serializers.IntegerField()
    actor_display = serializers.CharField()
    actor_role = serializers.CharField()
    pupil_ids = serializers.ListField(child=serializers.IntegerField())
    relations = serializers.DictField(child=serializers.CharField())
    resource = serializers.CharField()
    object_ref = serializers.CharField()
    request_id = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()


def _filters(request: Request) -> dict[str, Any]:
    form = AccessLogFilter(data=request.query_params)
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


def _log_review(request: Request, *, resource: str, filters: dict[str, Any]) -> None:
    access_log_record(
        actor=cast(User, request.user),
        actor_role=ADMIN_ROLE,
        pupils={},
        resource=resource,
        object_ref=urlencode(sorted((k, str(v)) for k, v in filters.items())),
        request=request,
    )


def _selected(filters: dict[str, Any]) -> QuerySet[AccessLogEntry]:
    return access_log_list(
        pupil_id=filters.get("pupil"),
        actor_id=filters.get("actor"),
        since=filters.get("since"),
        until=filters.get("until"),
    )


@extend_schema(parameters=[AccessLogFilter], tags=["access log"])
class AccessLogListApi(generics.ListAPIView):
    """Who read what: newest first, filtered by pupil, actor and days; paginated."""

    permission_classes = [IsMunicipalityAdmin]
    serializer_class = AccessLogEntryOutput

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = _filters(request)
        _log_review(request, resource="access_log.review", filters=filters)
        self.log_filters = filters
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AccessLogEntry]:
        return _selected(getattr(self, "log_filters", {}))


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        # Only error answers are rendered here (the export itself streams).
        return json.dumps(data, ensure_ascii=False).encode()


CSV_COLUMNS = [
    "id", "occurred_at", "actor_id", "actor_display", "actor_role", "pupil_ids", "relations",
    "resource", "object_ref", "request_id", "ip", "user_agent",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    # A spreadsheet must not run a user agent or a name as a formula (CSV injection).
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_row(entry: AccessLogEntry) -> list[str]:
    return [
        str(entry.id),
        timezone.localtime(entry.occurred_at).isoformat(),
        str(entry.actor_id),
        _cell(entry.actor_display),
        _cell(entry.actor_role),
        " ".join(str(p) for p in entry.pupil_ids),
        json.dumps(entry.relations, ensure_ascii=False, sort_keys=True),
        _cell(entry.resource),
        _cell(entry.object_ref),
        _cell(entry.request_id),
        entry.ip or "",
        _cell(entry.user_agent),
    ]


class _Line:
    def write(self, value: str) -> str:
        return value


def _csv_lines(schema: str, filters: dict[str, Any]) -> Iterator[str]:
    """Streams in chunks by keyset (newest first). Each chunk runs in the municipality's schema:
    the response is consumed after the middleware has put the connection back to public."""
    writer = csv.writer(_Line())
    yield "\ufeff"  # so that spreadsheet programs read the UTF-8 (å, ä, ö) right
    yield writer.writerow(CSV_COLUMNS)
    after: tuple[Any, int] | None = None
    while True:
        with schema_context(schema):
            chunk = _selected(filters)
            if after is not None:
                at, entry_id = after
                chunk = chunk.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=entry_id))
            rows = list(chunk[:EXPORT_CHUNK])
        for entry in rows:
            yield writer.writerow(_csv_row(entry))
        if len(rows) < EXPORT_CHUNK:
            return
        after = (rows[-1].occurred_at, rows[-1].id)


class AccessLogExportApi(APIView):
    """The same selection as the list, all of it, as CSV (streamed)."""

    permission_classes = [IsMunicipalityAdmin]
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        parameters=[AccessLogFilter],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
        tags=["access log"],
        operation_id="v1_access_log_export_csv",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        filters = _filters(request)
        _log_review(request, resource="access_log.export", filters=filters)
        schema = connection.schema_name
        response = StreamingHttpResponse(
            _csv_lines(schema, filters), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="access-log-{schema}-{stamp}.csv"'
        return response
