from django.urls import path

from selfreport import views

app_name = "selfreport"

urlpatterns = [
    # The client's pages: no sign-in, the token is the only key. A neutral path: no clinical word.
    path("r/<str:token>/", views.answer, name="answer"),
    # A plan shared to read (selfreport.PlanShare): as neutral, and a token of its own kind.
    path("p/<str:token>/", views.plan, name="plan"),
    # The clinician's page in the chart.
    path("clients/<int:pk>/client-links/", views.links, name="links"),
    path("clients/<int:pk>/client-links/<int:link_pk>/withdraw/", views.revoke, name="revoke"),
    path("clients/<int:pk>/client-links/schedule/", views.schedule, name="schedule"),
    path(
        "clients/<int:pk>/client-links/schedule/<int:schedule_pk>/stop/",
        views.schedule_stop,
        name="schedule_stop",
    ),
    path("clients/<int:pk>/client-links/plans/", views.plan_share, name="plan_share"),
    path(
        "clients/<int:pk>/client-links/plans/<int:share_pk>/withdraw/",
        views.plan_share_revoke,
        name="plan_share_revoke",
    ),
]
