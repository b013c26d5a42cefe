from django.urls import path

from sessions import contact_views, note_views, views

app_name = "sessions"

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("clients/<int:pk>/sessions/", views.chart_section, name="section"),
    path("clients/<int:pk>/appointments/new/", views.book, name="book"),
    path(
        "clients/<int:pk>/appointments/<int:appointment_pk>/move/",
        views.reschedule,
        name="reschedule",
    ),
    path(
        "clients/<int:pk>/appointments/<int:appointment_pk>/attendance/",
        views.attendance,
        name="attendance",
    ),
    path(
        "clients/<int:pk>/appointments/<int:appointment_pk>/note/",
        note_views.note_start,
        name="note_start",
    ),
    path("clients/<int:pk>/notes/<int:note_pk>/", note_views.note_detail, name="note"),
    path(
        "clients/<int:pk>/notes/<int:note_pk>/autosave/",
        note_views.note_autosave,
        name="note_autosave",
    ),
    path("clients/<int:pk>/notes/<int:note_pk>/sign/", note_views.note_sign, name="note_sign"),
    path(
        "clients/<int:pk>/notes/<int:note_pk>/addenda/",
        note_views.note_addendum,
        name="note_addendum",
    ),
    path(
        "clients/<int:pk>/notes/<int:note_pk>/review/",
        note_views.note_review,
        name="note_review",
    ),
    path(
        "clients/<int:pk>/rating-alerts/<int:alert_pk>/seen/",
        note_views.rating_alert_acknowledge,
        name="rating_alert_ack",
    ),
    path("clients/<int:pk>/contacts/", contact_views.contacts_section, name="contacts"),
    path("clients/<int:pk>/contacts/new/", contact_views.contact_new, name="contact_new"),
    path(
        "clients/<int:pk>/contacts/<int:contact_pk>/",
        contact_views.contact_detail,
        name="contact",
    ),
    path(
        "clients/<int:pk>/contacts/<int:contact_pk>/sign/",
        contact_views.contact_sign,
        name="contact_sign",
    ),
    path(
        "clients/<int:pk>/contacts/<int:contact_pk>/addenda/",
        contact_views.contact_addendum,
        name="contact_addendum",
    ),
    path(
        "clients/<int:pk>/contacts/<int:contact_pk>/review/",
        contact_views.contact_review,
        name="contact_review",
    ),
    path("notes/", note_views.my_notes, name="my_notes"),
    path("notes/cosign/", note_views.cosign_queue, name="cosign_queue"),
]
