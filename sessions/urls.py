from django.urls import path

from sessions import views

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
]
