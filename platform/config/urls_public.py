"""The platform host: the vendor's console and API. No municipality data is reachable here."""

from django.urls import include, path

from config.urls_common import urlpatterns as common
from vendor import api as vendor_api
from vendor import views as vendor_views

vendor_patterns = (
    [
        path("", vendor_views.console, name="console"),
        path("municipalities/<str:slug>/suspend/", vendor_views.suspend, name="suspend"),
    ],
    "vendor",
)

urlpatterns = [
    *common,
    path("", include(vendor_patterns)),
    path("api/v1/vendor/municipalities", vendor_api.MunicipalityListCreateApi.as_view()),
]
