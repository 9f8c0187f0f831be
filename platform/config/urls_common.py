"""URL patterns served on every host (platform and municipalities alike)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from core.views import healthz

urlpatterns = [
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("invitation/<str:token>/", account_views.invitation, name="invitation"),
    path("account/two-factor/setup/", account_views.two_factor_setup, name="two-factor-setup"),
    path("account/two-factor/verify/", account_views.two_factor_verify, name="two-factor-verify"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
