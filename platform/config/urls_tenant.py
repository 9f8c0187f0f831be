"""A municipality's host: its portal and its API, always inside its own schema."""

from django.urls import path

from access.api import GroupDetailApi, GroupListApi, PupilDetailApi, PupilListApi
from access.readlog.api import AccessLogExportApi, AccessLogListApi
from accounts.api import ApiTokenListCreateApi, ApiTokenRevokeApi, MeApi
from config.urls_common import urlpatterns as common
from core.views import portal_home

urlpatterns = [
    *common,
    path("", portal_home, name="portal-home"),
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
]
