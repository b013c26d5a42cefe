from django.urls import path

from records import views

app_name = "records"

# This app owns the chart's Record copies tab (registered in records/apps.py).
urlpatterns = [
    path("clients/<int:pk>/record-copies/", views.chart, name="chart"),
    path("clients/<int:pk>/record-copies/fhir/", views.export, name="export"),
    path("clients/<int:pk>/record-copies/requests/", views.request_create, name="request"),
    path(
        "clients/<int:pk>/record-copies/requests/<int:request_pk>/extend/",
        views.extend,
        name="extend",
    ),
    path(
        "clients/<int:pk>/record-copies/requests/<int:request_pk>/release/",
        views.release,
        name="release",
    ),
]
