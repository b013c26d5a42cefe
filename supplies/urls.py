from django.urls import path

from supplies import views

app_name = "supplies"

# This app owns the chart's Supplies section (registered in supplies/apps.py) and the clinic's
# monthly report for funders.
urlpatterns = [
    path("clients/<int:pk>/supplies/", views.section, name="section"),
    path("clients/<int:pk>/supplies/new/", views.record, name="record"),
    path("clients/<int:pk>/supplies/<int:record_pk>/void/", views.void, name="void"),
    path("clients/<int:pk>/supplies/<int:record_pk>/correct/", views.correct, name="correct"),
    path("reports/supplies/", views.report, name="report"),
    path("reports/supplies.csv", views.report_csv, name="report_csv"),
]
