"""/admin/... on a municipality's host, included into the portal's namespace ("portal:admin")."""

from django.urls import path

from portal.admin.views import access_log, imports, overview, quarantine, settings, users

urlpatterns = [
    path("", overview.overview, name="admin"),
    path("imports/", imports.imports_page, name="admin-imports"),
    path("imports/sync/", imports.api_sync, name="admin-imports-sync"),
    path("imports/<int:run_id>/", imports.import_detail, name="admin-import"),
    path("imports/<int:run_id>/progress/", imports.import_progress, name="admin-import-progress"),
    path("imports/<int:run_id>/apply/", imports.import_apply, name="admin-import-apply"),
    path("imports/<int:run_id>/cancel/", imports.import_cancel, name="admin-import-cancel"),
    path("quarantine/", quarantine.quarantine_page, name="admin-quarantine"),
    path(
        "quarantine/<int:person_id>/admit/",
        quarantine.quarantine_admit,
        name="admin-quarantine-admit",
    ),
    path("users/", users.users_page, name="admin-users"),
    path("users/<int:user_id>/active/", users.user_set_active, name="admin-user-active"),
    path("users/<int:user_id>/admin/", users.user_set_admin, name="admin-user-admin"),
    path("access-log/", access_log.access_log_page, name="admin-access-log"),
    path("access-log/pupils/", access_log.pupil_search_page, name="admin-access-log-pupils"),
    path("settings/", settings.settings_page, name="admin-settings"),
    path("settings/lexicon/", settings.lexicon_page, name="admin-lexicon"),
    path("settings/lexicon/enabled/", settings.lexicon_set_enabled, name="admin-lexicon-enabled"),
]
