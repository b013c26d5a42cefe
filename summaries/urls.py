from django.urls import path

from summaries import views

app_name = "summaries"

urlpatterns = [
    # The chart's Summaries tab (registered in summaries/apps.py).
    path("clients/<int:pk>/summaries/", views.chart_section, name="section"),
    path("summaries/caseload/", views.caseload, name="caseload"),
    path("summaries/<int:summary_pk>/", views.summary_detail, name="detail"),
    path("summaries/<int:summary_pk>/status/", views.summary_status, name="status"),
    path("summaries/<int:summary_pk>/pdf/", views.summary_pdf, name="pdf"),
    path("summaries/<int:summary_pk>/retry/", views.summary_retry, name="retry"),
]
