from django.urls import path

from selfreport import views

app_name = "selfreport"

urlpatterns = [
    # The client's pages: no sign-in, the token is the only key. A neutral path: no clinical word.
    path("r/<str:token>/", views.answer, name="answer"),
    # The clinician's page in the chart.
    path("clients/<int:pk>/client-links/", views.links, name="links"),
    path("clients/<int:pk>/client-links/<int:link_pk>/withdraw/", views.revoke, name="revoke"),
    path("clients/<int:pk>/client-links/schedule/", views.schedule, name="schedule"),
    path(
        "clients/<int:pk>/client-links/schedule/<int:schedule_pk>/stop/",
        views.schedule_stop,
        name="schedule_stop",
    ),
]
