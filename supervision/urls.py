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
    # The list behind each dashboard number, e.g. /supervision/12/late-notes/.
    path("supervision/<int:therapist_pk>/<slug:column>/", views.column_list, name="column"),
]
