from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("clients/<int:pk>/assessments/", views.chart_section, name="section"),
    path("clients/<int:pk>/measures/<slug:code>/new/", views.administer, name="administer"),
    path("clients/<int:pk>/measures/<slug:code>/", views.trend, name="trend"),
    path(
        "clients/<int:pk>/administrations/<int:administration_pk>/",
        views.administration_detail,
        name="administration",
    ),
    path(
        "clients/<int:pk>/administrations/<int:administration_pk>/follow-up/",
        views.follow_up,
        name="follow_up",
    ),
    path("measures/due/", views.due_list, name="due"),
]
