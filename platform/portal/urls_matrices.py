"""Assessment matrices in the portal (portal/matrices.py), under matrices/."""

from django.urls import path

from portal import matrices

urlpatterns = [
    path("", matrices.matrix_list_page, name="matrices"),
    path("new/", matrices.matrix_new, name="matrix-new"),
    path("<int:matrix_id>/", matrices.matrix_page, name="matrix"),
    path("<int:matrix_id>/copy/", matrices.matrix_copy_view, name="matrix-copy"),
    path("<int:matrix_id>/archive/", matrices.matrix_archive_view, name="matrix-archive"),
    path("<int:matrix_id>/delete/", matrices.matrix_delete_view, name="matrix-delete"),
]
