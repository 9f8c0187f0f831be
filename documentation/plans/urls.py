"""Plans, plan templates and the formative log; included under ``api/v1/`` by
config.urls_tenant."""

from django.urls import path

from documentation.plans.api.formative import FormativeEntryDetailApi, FormativeEntryListApi
from documentation.plans.api.plans import (
    PlanArchiveApi,
    PlanDetailApi,
    PlanListApi,
    PlanPublishApi,
    PlanVersionsApi,
)
from documentation.plans.api.templates import PlanTemplateListApi

urlpatterns = [
    path("plans", PlanListApi.as_view(), name="api-plans"),
    path("plans/<int:plan_id>", PlanDetailApi.as_view(), name="api-plan"),
    path("plans/<int:plan_id>/publish", PlanPublishApi.as_view(), name="api-plan-publish"),
    path("plans/<int:plan_id>/archive", PlanArchiveApi.as_view(), name="api-plan-archive"),
    path("plans/<int:plan_id>/versions", PlanVersionsApi.as_view(), name="api-plan-versions"),
    path("plan-templates", PlanTemplateListApi.as_view(), name="api-plan-templates"),
    path("formative-entries", FormativeEntryListApi.as_view(), name="api-formative-entries"),
    path(
        "formative-entries/<int:entry_id>",
        FormativeEntryDetailApi.as_view(),
        name="api-formative-entry",
    ),
]
