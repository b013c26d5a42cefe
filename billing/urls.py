from django.urls import path

from billing import views

app_name = "billing"

# This app owns the chart's Billing section (registered in billing/apps.py).
urlpatterns = [
    path("clients/<int:pk>/billing/", views.section, name="section"),
    path("clients/<int:pk>/billing/diagnoses/new/", views.diagnosis_add, name="diagnosis_add"),
    path(
        "clients/<int:pk>/billing/diagnoses/<int:diagnosis_pk>/",
        views.diagnosis_change,
        name="diagnosis_change",
    ),
    path(
        "clients/<int:pk>/billing/sessions/<int:appointment_pk>/",
        views.encounter_session,
        name="encounter_session",
    ),
    path(
        "clients/<int:pk>/billing/contacts/<int:contact_pk>/",
        views.encounter_contact,
        name="encounter_contact",
    ),
    path(
        "clients/<int:pk>/billing/groups/<int:attendance_pk>/",
        views.encounter_group,
        name="encounter_group",
    ),
    path(
        "groups/meetings/<int:meeting_pk>/billing/",
        views.meeting_coding,
        name="meeting_coding",
    ),
    path("clients/<int:pk>/billing/export/", views.export, name="export"),
    path("billing/fee-schedule/", views.fees, name="fees"),
]
