"""Register imports over HTTP: start runs (uploads or the SS 12000 API), follow them, cancel them,
apply a dry run as it was shown, download a run's issues; review and admit quarantined persons.

Who may: imports, a municipality administrator who verified a second factor in this session, or
an API token with the scope ``imports:write``; the quarantine, administrators only (no tokens:
it names persons with protected identity, and every look is logged as ``quarantine.list``).
Ids of another municipality's runs simply do not exist here (404). See docs/imports.md.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, NoReturn, cast

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.readlog.services import access_log_record
from accounts.models import ApiScope, ApiToken, User
from accounts.permissions import HasScope, IsMunicipalityAdmin
from accounts.policy import SECOND_FACTOR_REQUIRED, HasSecondFactor, second_factor_satisfied
from core.db import connection
from integrations.models import ImportIssue, ImportRun, ImportSource, QuarantinedPerson
from integrations.selectors import (
    import_issue_list,
    import_run_applying,
    import_run_get,
    import_run_list,
    quarantined_person_get,
    quarantined_person_list,
    register_api_configured,
)
from integrations.services.quarantine import quarantined_person_admit
from integrations.services.runs import (
    ImportFailed,
    import_run_apply_dry_run,
    import_run_cancel,
    import_run_create,
)
from integrations.services.uploads import (
    ImportInputInvalid,
    MiB,
    import_run_create_from_upload,
    too_large,
    upload_limit,
)

ADMIN_ROLE = "municipality_admin"
ISSUES_CHUNK = 2000
# Multipart framing around the files (boundaries, headers, the small form fields).
MULTIPART_OVERHEAD = 1 * MiB

AdminWithSecondFactor = IsMunicipalityAdmin & HasSecondFactor
IMPORTS_PERMISSION: Any = AdminWithSecondFactor | HasScope(ApiScope.IMPORTS_WRITE)


class UploadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The upload is too large.")
    default_code = "upload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The run is not in a state that allows this.")
    default_code = "conflict"


# --- Serializers ---------------------------------------------------------------------------------


class ImportRunInput(serializers.Serializer):
    source = serializers.ChoiceField(choices=ImportSource.choices)  # type: ignore[assignment]
    dry_run = serializers.BooleanField(default=False)
    incremental = serializers.BooleanField(
        default=False, help_text="SS 12000 API only: read the changes since the last run."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["incremental"] and attrs["source"] != ImportSource.SS12000_API:
            raise serializers.ValidationError(
                {"incremental": _("Only the SS 12000 API can be read incrementally.")}
            )
        return attrs


class ImportUploadInput(ImportRunInput):
    file = serializers.ListField(
        child=serializers.FileField(),
        help_text="One .zip archive, or the export's files (e.g. elever.csv, persons.json).",
    )


class ImportRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]
    trigger = serializers.CharField()
    incremental = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    applies_dry_run = serializers.IntegerField(source="applies_dry_run_id", allow_null=True)
    status = serializers.CharField()
    phase = serializers.CharField()
    percent = serializers.IntegerField()
    cancel_requested = serializers.BooleanField()
    attempts = serializers.IntegerField()
    counts = serializers.DictField(help_text="Per entity: read, new, changed, unchanged, gone...")
    timings = serializers.DictField(help_text="Seconds per phase: read, apply, accounts.")
    error_count = serializers.IntegerField()
    warning_count = serializers.IntegerField()
    failure = serializers.CharField()
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportRunDetailOutput(ImportRunOutput):
    samples = serializers.DictField(
        allow_null=True,
        help_text=(
            "Dry runs: a few names per entity and kind of change. Shown to administrators only "
            "(each look is logged as import.samples); null for API tokens."
        ),
    )


class QuarantinedPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    source_id = serializers.UUIDField(help_text="The person's id in the register.")
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    security_marking = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    admitted_at = serializers.DateTimeField(allow_null=True)
    admitted_by = serializers.CharField(source="admitted_by.username", allow_null=True)


# --- Helpers -------------------------------------------------------------------------------------


def _requester(request: Request) -> tuple[User | None, str]:
    if isinstance(request.auth, ApiToken):
        return None, "api"
    return cast(User, request.user), "admin"


def _detail(request: Request, run: ImportRun) -> dict[str, Any]:
    """The run as the portal polls it. Samples name people: administrators see them and the
    look is logged; tokens (no person to log) get null."""
    data = dict(ImportRunDetailOutput(run).data)
    if not run.samples:
        return data
    user, _trigger = _requester(request)
    if user is None:
        data["samples"] = None
    else:
        access_log_record(
            actor=user,
            actor_role=ADMIN_ROLE,
            pupils={},
            resource="import.samples",
            object_ref=f"import:{run.pk}",
            request=request,
        )
    return data


class ImportsApiView(APIView):
    """Administrators with a second factor, or tokens with imports:write."""

    permission_classes = [IMPORTS_PERMISSION]

    def permission_denied(
        self, request: Request, message: Any = None, code: str | None = None
    ) -> NoReturn:
        # A composed permission carries no message of its own: say what is missing.
        user = request.user
        if getattr(user, "is_municipality_admin", False) and not second_factor_satisfied(request):
            message = {
                "detail": _("Verify your one-time code before you read pupil documentation."),
                "code": SECOND_FACTOR_REQUIRED,
            }
        elif isinstance(request.auth, ApiToken):
            message = _("This token lacks the scope %(scopes)s.") % {
                "scopes": ApiScope.IMPORTS_WRITE.value
            }
        super().permission_denied(request, message=message, code=code)


# --- Runs ----------------------------------------------------------------------------------------


@extend_schema(tags=["imports"])
class ImportRunListApi(generics.ListAPIView, ImportsApiView):
    """Runs, newest first (paginated); POST starts one."""

    serializer_class = ImportRunOutput
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return import_run_list()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Refused before anything reads the body (the session's CSRF check would parse it).
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > upload_limit() + MULTIPART_OVERHEAD:
                raise UploadTooLarge(too_large().message)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={
            "application/json": ImportRunInput,
            "multipart/form-data": ImportUploadInput,
        },
        responses={201: ImportRunDetailOutput},
    )
    def post(self, request: Request) -> Response:
        form = ImportRunInput(data=request.data)
        form.is_valid(raise_exception=True)
        source: str = form.validated_data["source"]
        dry_run: bool = form.validated_data["dry_run"]
        user, trigger = _requester(request)
        files = request.FILES.getlist("file")
        if source == ImportSource.SS12000_API:
            if files:
                raise serializers.ValidationError(
                    {"file": [_("The SS 12000 API is read directly: send no file.")]}
                )
            if not register_api_configured():
                raise serializers.ValidationError(
                    {"source": [_("This municipality has no SS 12000 API connection set up.")]}
                )
            run = import_run_create(
                source=source,
                trigger=trigger,
                dry_run=dry_run,
                incremental=form.validated_data["incremental"],
                requested_by=user,
            )
        else:
            try:
                run = import_run_create_from_upload(
                    source=source, files=files, trigger=trigger, dry_run=dry_run, requested_by=user
                )
            except ImportInputInvalid as refused:
                if refused.status == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE:
                    raise UploadTooLarge(refused.message) from None
                raise serializers.ValidationError({refused.field: [refused.message]}) from None
        run = import_run_get(run_id=run.pk)
        return Response(
            _detail(request, run),
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/imports/{run.pk}"},
        )


class ImportRunDetailApi(ImportsApiView):
    """One run: what the portal's progress bar polls."""

    @extend_schema(responses=ImportRunDetailOutput, tags=["imports"])
    def get(self, request: Request, run_id: int) -> Response:
        return Response(_detail(request, import_run_get(run_id=run_id)))


class ImportRunCancelApi(ImportsApiView):
    """Asks a queued or running run to stop; a queued run ends at once, a running one at its
    next progress report (never in the middle of the apply transaction)."""

    @extend_schema(request=None, responses=ImportRunDetailOutput, tags=["imports"])
    def post(self, request: Request, run_id: int) -> Response:
        run = import_run_get(run_id=run_id)
        if run.is_finished:
            raise Conflict(_("The run has already ended (%(status)s).") % {"status": run.status})
        run = import_run_cancel(run=run)
        return Response(_detail(request, import_run_get(run_id=run.pk)))


class ImportRunApplyApi(ImportsApiView):
    """Applies a succeeded dry run as it was shown: a new run over the same input that refuses
    to apply if the diff is no longer the one shown."""

    @extend_schema(request=None, responses={201: ImportRunDetailOutput}, tags=["imports"])
    def post(self, request: Request, run_id: int) -> Response:
        dry_run = import_run_get(run_id=run_id)
        applying = import_run_applying(dry_run=dry_run)
        if applying is not None:
            raise Conflict(
                _("This dry run is already applied by run %(run)d.") % {"run": applying.pk}
            )
        user, trigger = _requester(request)
        try:
            run = import_run_apply_dry_run(dry_run=dry_run, trigger=trigger, requested_by=user)
        except ImportFailed as refused:
            raise serializers.ValidationError({"detail": str(refused)}) from None
        run = import_run_get(run_id=run.pk)
        return Response(
            _detail(request, run),
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/imports/{run.pk}"},
        )


# --- Issues as CSV -------------------------------------------------------------------------------


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        # Only error answers are rendered here (the report itself streams).
        return json.dumps(data, ensure_ascii=False).encode()


ISSUE_COLUMNS = ["severity", "entity", "source_id", "location", "message"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    # A spreadsheet must not run a message or a file name as a formula (CSV injection); the
    # same rule as the read-log export.
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Line:
    def write(self, value: str) -> str:
        return value


def _issue_lines(schema: str, run_id: int) -> Iterator[str]:
    """Streams in chunks by id. Each chunk runs in the municipality's schema: the response is
    consumed after the middleware has put the connection back to public."""
    writer = csv.writer(_Line())
    yield "\ufeff"  # so that spreadsheet programs read the UTF-8 (å, ä, ö) right
    yield writer.writerow(ISSUE_COLUMNS)
    after = 0
    while True:
        with schema_context(schema):
            rows: list[ImportIssue] = list(
                import_issue_list(run_id=run_id).filter(id__gt=after)[:ISSUES_CHUNK]
            )
        for issue in rows:
            yield writer.writerow(
                [
                    _cell(issue.severity),
                    _cell(issue.entity),
                    _cell(issue.source_id),
                    _cell(issue.location),
                    _cell(issue.message),
                ]
            )
        if len(rows) < ISSUES_CHUNK:
            return
        after = rows[-1].id


class ImportIssuesCsvApi(ImportsApiView):
    """A run's row-level errors and warnings as CSV (UTF-8 with BOM), streamed."""

    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
        tags=["imports"],
        operation_id="v1_imports_issues_csv",
    )
    def get(self, request: Request, run_id: int) -> StreamingHttpResponse:
        run = import_run_get(run_id=run_id)
        schema = connection.schema_name
        response = StreamingHttpResponse(
            _issue_lines(schema, run.pk), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="import-{schema}-{run.pk}-issues.csv"'
        )
        return response


# --- Quarantine ----------------------------------------------------------------------------------

QUARANTINE_PERMISSIONS: list[type[BasePermission]] = [IsMunicipalityAdmin, HasSecondFactor]


@extend_schema(tags=["imports"])
class QuarantineListApi(generics.ListAPIView):
    """Persons with protected identity the register sent, held out of the register until an
    administrator admits them. Waiting persons first. Each look is logged (quarantine.list)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = QUARANTINE_PERMISSIONS
    serializer_class = QuarantinedPersonOutput

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Logged before the read: nothing is ever read unlogged (docs/read-log.md).
        access_log_record(
            actor=cast(User, request.user),
            actor_role=ADMIN_ROLE,
            pupils={},
            resource="quarantine.list",
            object_ref=f"page={request.query_params.get('page', '1')}"[:200],
            request=request,
        )
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return quarantined_person_list()


class QuarantineAdmitApi(APIView):
    """Admits one person: the next import brings them in (audited as quarantine.admit)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = QUARANTINE_PERMISSIONS

    @extend_schema(request=None, responses=QuarantinedPersonOutput, tags=["imports"])
    def post(self, request: Request, person_id: int) -> Response:
        person: QuarantinedPerson = quarantined_person_get(person_id=person_id)
        person = quarantined_person_admit(person=person, admitted_by=cast(User, request.user))
        return Response(QuarantinedPersonOutput(person).data)
