"""The tenant URLs plus the read-log review endpoints, until config/urls_tenant.py includes them."""

from django.urls import path

from access.readlog.api import AccessLogExportApi, AccessLogListApi
from config.urls_tenant import urlpatterns as tenant_urlpatterns

urlpatterns = [
    *[
        p
        for p in tenant_urlpatterns
        if getattr(p, "name", None) not in {"api-access-log", "api-access-log-export"}
    ],
    path("api/v1/access-log", AccessLogListApi.as_view(), name="api-access-log"),
    path(
        "api/v1/access-log/export.csv", AccessLogExportApi.as_view(), name="api-access-log-export"
    ),
]
