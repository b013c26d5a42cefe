from django.urls import path

from techniques import views

app_name = "techniques"

# The records belong to a note: their pages sit under the note's URL. `kind` is a slug of
# techniques.kinds.KINDS (anything else: 404).
urlpatterns = [
    path("clients/<int:pk>/techniques/", views.section, name="section"),
    path(
        "clients/<int:pk>/notes/<int:note_pk>/techniques/<slug:kind>/new/",
        views.record_new,
        name="new",
    ),
    path(
        "clients/<int:pk>/notes/<int:note_pk>/techniques/<slug:kind>/<int:record_pk>/",
        views.record_edit,
        name="edit",
    ),
    path(
        "clients/<int:pk>/notes/<int:note_pk>/techniques/<slug:kind>/<int:record_pk>/remove/",
        views.record_remove,
        name="remove",
    ),
]
