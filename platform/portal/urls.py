from django.urls import path

from portal import pupils, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("groups/<int:group_id>/", pupils.group_page, name="group"),
    path("pupils/<int:pupil_id>/", pupils.pupil_page, name="pupil"),
    path("me/", pupils.me, name="me"),
    path("children/<int:pupil_id>/", pupils.child, name="child"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("data-protection/", views.data_notice, name="data-notice"),
]
