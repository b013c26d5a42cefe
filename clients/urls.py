from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("caseload/<int:therapist_pk>/", views.supervisee_caseload, name="supervisee_caseload"),
    path("new/", views.intake_start, name="intake_start"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/<int:pk>/", views.manage_client, name="manage_client"),
    path("unassigned/", views.unassigned, name="unassigned"),
    path("merges/", views.merges_review, name="merges_review"),
    path("<int:pk>/", views.chart, name="chart"),
    # Each chart section has its own literal path here or in its app's urls.py (registered in
    # clients.extensions.CHART_SECTIONS); no catch-all section pattern, so no app's URL shadows
    # another's and include order in hrp/urls.py does not matter.
    path("<int:pk>/intake/", views.chart_intake, name="intake"),
    path("<int:pk>/medical/", views.chart_medical, name="medical"),
    path("<int:pk>/medical/new/", views.medical_record, name="medical_record"),
    path(
        "<int:pk>/medical/<int:evaluation_pk>/correct/",
        views.medical_correct,
        name="medical_correct",
    ),
    path("<int:pk>/consents/", views.chart_consents, name="consents"),
    path("<int:pk>/consents/new/", views.consent_create, name="consent_create"),
    path(
        "<int:pk>/consents/<int:consent_pk>/revoke/",
        views.consent_revoke,
        name="consent_revoke",
    ),
    path("<int:pk>/timeline/", views.chart_timeline, name="timeline"),
    path("<int:pk>/access-log/", views.chart_access, name="access_log"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/identity/", views.client_identity, name="identity"),
    path("<int:pk>/status/", views.client_status, name="status"),
    path("<int:pk>/intake/<slug:step>/", views.intake_step, name="intake_step"),
]
