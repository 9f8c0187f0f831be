"""A municipality's host: its portal and its API, always inside its own schema."""

from django.urls import path

from accounts.api import MeApi
from config.urls_common import urlpatterns as common
from core.views import portal_home

urlpatterns = [
    *common,
    path("", portal_home, name="portal-home"),
    path("api/v1/me", MeApi.as_view(), name="api-me"),
]
