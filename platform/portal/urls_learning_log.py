"""The lärlogg (formative log) in the portal (portal/learning_log.py)."""

from django.urls import path

from portal import learning_log

urlpatterns = [
    path("pupils/<int:pupil_id>/learning-log/", learning_log.log_page, name="learning-log"),
    path("learning-log/<int:entry_id>/", learning_log.entry_page, name="learning-log-entry"),
]
