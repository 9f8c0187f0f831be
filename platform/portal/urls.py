from django.urls import include, path

from portal import grid, iups, pupil_assessment, pupils, talk_agreements, talks, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("groups/<int:group_id>/", pupils.group_page, name="group"),
    path("pupils/<int:pupil_id>/", pupils.pupil_page, name="pupil"),
    path("me/", pupils.me, name="me"),
    path("children/<int:pupil_id>/", pupils.child, name="child"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("data-protection/", views.data_notice, name="data-notice"),
    # Development talks and IUPs (portal/talks.py, talk_agreements.py, iups.py)
    path("talks/", talks.talk_list_page, name="talks"),
    path("pupils/<int:pupil_id>/talks/new/", talks.talk_new, name="talk-new"),
    path(
        "pupils/<int:pupil_id>/talks/new/autosave/",
        talks.talk_new_autosave,
        name="talk-new-autosave",
    ),
    path("talks/<int:talk_id>/", talks.talk_page, name="talk"),
    path("talks/<int:talk_id>/autosave/", talks.talk_autosave, name="talk-autosave"),
    path("talks/<int:talk_id>/publish/", talks.talk_publish_page, name="talk-publish"),
    path(
        "talks/<int:talk_id>/agreements/",
        talk_agreements.agreement_add_view,
        name="talk-agreement-add",
    ),
    path(
        "talks/<int:talk_id>/agreements/<int:agreement_id>/follow-up/",
        talk_agreements.agreement_follow_up_view,
        name="talk-agreement-follow-up",
    ),
    path("text-guard/findings/", talks.text_guard_findings, name="text-guard-findings"),
    path("pupils/<int:pupil_id>/iups/new/", iups.iup_new, name="iup-new"),
    path(
        "pupils/<int:pupil_id>/iups/new/autosave/",
        iups.iup_new_autosave,
        name="iup-new-autosave",
    ),
    path("iups/<int:iup_id>/", iups.iup_page, name="iup"),
    path("iups/<int:iup_id>/autosave/", iups.iup_autosave, name="iup-autosave"),
    path("iups/<int:iup_id>/publish/", iups.iup_publish_page, name="iup-publish"),
    # The whole-class assessment grid (portal/grid.py)
    path("grids/", grid.grids_page, name="grids"),
    path(
        "pupils/<int:pupil_id>/assessments/<int:matrix_id>/",
        pupil_assessment.pupil_assessment_page,
        name="pupil-assessment",
    ),
    path("groups/<int:group_id>/grid/<int:matrix_id>/", grid.grid_page, name="grid"),
    path(
        "groups/<int:group_id>/grid/<int:matrix_id>/save/",
        grid.grid_autosave,
        name="grid-save",
    ),
    path("", include("portal.plans_urls")),  # pedagogical plans (portal/plans.py)
    path("matrices/", include("portal.urls_matrices")),  # matrix editor (portal/matrices.py)
    path("", include("portal.urls_learning_log")),  # lärlogg (portal/learning_log.py)
    path("admin/", include("portal.admin.urls")),
]
