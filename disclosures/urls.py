from django.urls import path

from disclosures import views

app_name = "disclosures"

# This app owns the chart's Disclosures tab (registered in disclosures/apps.py).
urlpatterns = [
    path("clients/<int:pk>/disclosures/", views.chart, name="chart"),
    path(
        "clients/<int:pk>/disclosures/attendance-report/preview/",
        views.attendance_preview,
        name="attendance_preview",
    ),
    path(
        "clients/<int:pk>/disclosures/attendance-report/",
        views.attendance_download,
        name="attendance_download",
    ),
]
