"""Routes each request to the vendor side or to one municipality's schema by its host name."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils import translation
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.postgresql_backend.base import FakeTenant

from core.db import connection
from tenants.models import Domain, Municipality, MunicipalityStatus


class MunicipalityMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, plus clear answers for unknown and suspended hosts."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        connection.set_schema_to_public()
        hostname = self.hostname_from_request(request)
        if hostname == settings.PLATFORM_DOMAIN:
            request.tenant = FakeTenant(schema_name=settings.PUBLIC_SCHEMA_NAME)  # type: ignore[attr-defined]
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return None
        # The answers below come before LocaleMiddleware runs: choose their language here.
        translation.activate(translation.get_language_from_request(request))
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
        municipality: Municipality | None = domain.tenant if domain else None
        if municipality is None or municipality.status == MunicipalityStatus.TEMPLATE:
            return render(request, "tenants/unknown_host.html", {"host": hostname}, status=404)
        if municipality.status == MunicipalityStatus.SUSPENDED:
            response = render(
                request, "tenants/suspended.html", {"municipality": municipality}, status=503
            )
            response["Retry-After"] = "3600"
            return response
        municipality.domain_url = hostname
        request.tenant = municipality  # type: ignore[attr-defined]
        connection.set_tenant(municipality)
        self.setup_url_routing(request)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # Leave the connection in the public schema: nothing that runs after this request on the
        # same thread (a task sent from a signal, the next request's early code) may inherit it.
        connection.set_schema_to_public()
        return response
