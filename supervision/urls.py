from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("supervision/meetings/", views.meeting_list, name="meetings"),
    path("supervision/meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path(
        "supervision/<int:therapist_pk>/meetings/new/",
        views.meeting_create,
        name="meeting_create",
    ),
    path("supervision/comments/", views.comment_list, name="comments"),
    path(
        "supervision/comments/<int:pk>/acknowledge/",
        views.comment_acknowledge,
        name="comment_acknowledge",
    ),
    path(
        "supervision/clients/<int:pk>/comment/",
        views.comment_create,
        name="comment_create",
    ),
    path(
        "supervision/notes/<int:note_pk>/fidelity/",
        views.fidelity_review_create,
        name="fidelity_review_create",
    ),
    path("supervision/fidelity/<int:pk>/", views.fidelity_review_detail, name="fidelity_review"),
    path(
        "supervision/trainees/<int:therapist_pk>/fidelity/",
        views.fidelity_trend,
        name="fidelity_trend",
    ),
    # The list behind each dashboard number, e.g. /supervision/12/late-notes/.
    path("supervision/<int:therapist_pk>/<slug:column>/", views.column_list, name="column"),
]
