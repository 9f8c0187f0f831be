"""The plan pages' routes (portal/plans.py), included into the portal's namespace."""

from django.urls import path

from portal import plans

urlpatterns = [
    path("plans/", plans.plan_list_page, name="plans"),
    path("groups/<int:group_id>/plans/", plans.group_plans_page, name="group-plans"),
    path("groups/<int:group_id>/plans/new/", plans.plan_new, name="plan-new"),
    path("plans/<int:plan_id>/", plans.plan_page, name="plan"),
    path("plans/<int:plan_id>/autosave/", plans.plan_autosave, name="plan-autosave"),
    path("plans/<int:plan_id>/curriculum/", plans.plan_curriculum, name="plan-curriculum"),
    path("plans/<int:plan_id>/publish/", plans.plan_publish_page, name="plan-publish"),
    path("plans/<int:plan_id>/versions/", plans.plan_versions_page, name="plan-versions"),
]
