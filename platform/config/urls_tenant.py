"""A municipality's host: its portal and its API, always inside its own schema."""

from django.urls import include, path

from access.api import GroupDetailApi, GroupListApi, PupilDetailApi, PupilListApi
from access.readlog.api import AccessLogExportApi, AccessLogListApi
from accounts.api import ApiTokenListCreateApi, ApiTokenRevokeApi, MeApi
from config.urls_common import urlpatterns as common
from curriculum.api import SubjectDetailApi, SubjectListApi
from documentation.assessments.api.grid import GridApi, PupilAssessmentsApi
from documentation.assessments.api.matrices import (
    AssessmentSettingsApi,
    MatrixArchiveApi,
    MatrixCopyApi,
    MatrixDetailApi,
    MatrixListApi,
    MatrixPublishApi,
)
from documentation.talks import api as talks_api
from documentation.textguard import api as textguard_api
from integrations.api import (
    ImportIssuesCsvApi,
    ImportRunApplyApi,
    ImportRunCancelApi,
    ImportRunDetailApi,
    ImportRunListApi,
    QuarantineAdmitApi,
    QuarantineListApi,
)

talk_patterns = [
    path("api/v1/talk-templates", talks_api.TalkTemplateApi.as_view()),
    path("api/v1/talks", talks_api.TalkListApi.as_view()),
    path("api/v1/talks/<int:talk_id>", talks_api.TalkDetailApi.as_view()),
    path("api/v1/talks/<int:talk_id>/publish", talks_api.TalkPublishApi.as_view()),
    path("api/v1/talks/<int:talk_id>/agreements", talks_api.TalkAgreementApi.as_view()),
    path(
        "api/v1/talks/<int:talk_id>/agreements/<int:agreement_id>/follow-up",
        talks_api.TalkFollowUpApi.as_view(),
    ),
    path("api/v1/iups", talks_api.IUPListApi.as_view()),
    path("api/v1/iups/<int:iup_id>", talks_api.IUPDetailApi.as_view()),
    path("api/v1/iups/<int:iup_id>/publish", talks_api.IUPPublishApi.as_view()),
]

urlpatterns = [
    *common,
    *talk_patterns,
    path("", include("portal.urls")),
    path("api/v1/me", MeApi.as_view(), name="api-me"),
    path("api/v1/pupils", PupilListApi.as_view(), name="api-pupils"),
    path("api/v1/pupils/<int:pupil_id>", PupilDetailApi.as_view(), name="api-pupil"),
    path("api/v1/groups", GroupListApi.as_view(), name="api-groups"),
    path("api/v1/groups/<int:group_id>", GroupDetailApi.as_view(), name="api-group"),
    path("api/v1/access-log", AccessLogListApi.as_view(), name="api-access-log"),
    path(
        "api/v1/access-log/export.csv", AccessLogExportApi.as_view(), name="api-access-log-export"
    ),
    path("api/v1/api-tokens", ApiTokenListCreateApi.as_view(), name="api-tokens"),
    path(
        "api/v1/api-tokens/<int:token_id>/revoke",
        ApiTokenRevokeApi.as_view(),
        name="api-token-revoke",
    ),
    path("api/v1/imports", ImportRunListApi.as_view(), name="api-imports"),
    path("api/v1/imports/<int:run_id>", ImportRunDetailApi.as_view(), name="api-import"),
    path(
        "api/v1/imports/<int:run_id>/cancel",
        ImportRunCancelApi.as_view(),
        name="api-import-cancel",
    ),
    path("api/v1/imports/<int:run_id>/apply", ImportRunApplyApi.as_view(), name="api-import-apply"),
    path(
        "api/v1/imports/<int:run_id>/issues.csv",
        ImportIssuesCsvApi.as_view(),
        name="api-import-issues",
    ),
    path("api/v1/quarantine", QuarantineListApi.as_view(), name="api-quarantine"),
    path(
        "api/v1/quarantine/<int:person_id>/admit",
        QuarantineAdmitApi.as_view(),
        name="api-quarantine-admit",
    ),
    path("api/v1/curriculum/subjects", SubjectListApi.as_view(), name="api-curriculum-subjects"),
    path(
        "api/v1/curriculum/subjects/<str:code>",
        SubjectDetailApi.as_view(),
        name="api-curriculum-subject",
    ),
    path(
        "api/v1/text-guard/check",
        textguard_api.TextCheckApi.as_view(),
        name="api-text-guard-check",
    ),
    path(
        "api/v1/text-guard/rules",
        textguard_api.TextGuardRulesApi.as_view(),
        name="api-text-guard-rules",
    ),
    path(
        "api/v1/text-guard/lexicon",
        textguard_api.LexiconApi.as_view(),
        name="api-text-guard-lexicon",
    ),
    path(
        "api/v1/text-guard/lexicon/<int:entry_id>",
        textguard_api.LexiconEntryApi.as_view(),
        name="api-text-guard-lexicon-entry",
    ),
    path(
        "api/v1/text-guard/statistics",
        textguard_api.TextGuardStatisticsApi.as_view(),
        name="api-text-guard-statistics",
    ),
    path("api/v1/assessments/matrices", MatrixListApi.as_view(), name="api-matrices"),
    path(
        "api/v1/assessments/matrices/<int:matrix_id>",
        MatrixDetailApi.as_view(),
        name="api-matrix",
    ),
    path(
        "api/v1/assessments/matrices/<int:matrix_id>/publish",
        MatrixPublishApi.as_view(),
        name="api-matrix-publish",
    ),
    path(
        "api/v1/assessments/matrices/<int:matrix_id>/archive",
        MatrixArchiveApi.as_view(),
        name="api-matrix-archive",
    ),
    path(
        "api/v1/assessments/matrices/<int:matrix_id>/copy",
        MatrixCopyApi.as_view(),
        name="api-matrix-copy",
    ),
    path(
        "api/v1/assessments/settings",
        AssessmentSettingsApi.as_view(),
        name="api-assessment-settings",
    ),
    path("api/v1/assessments/grid", GridApi.as_view(), name="api-assessment-grid"),
    path(
        "api/v1/pupils/<int:pupil_id>/assessments",
        PupilAssessmentsApi.as_view(),
        name="api-pupil-assessments",
    ),
    # Plans, plan templates and the formative log (documentation/plans/urls.py).
    path("api/v1/", include("documentation.plans.urls")),
]
