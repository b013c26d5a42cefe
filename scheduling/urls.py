from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("schedule/", views.start, name="start"),
    path(
        "schedule/clinicians/<int:pk>/day/",
        views.clinician_calendar,
        {"span": "day"},
        name="day",
    ),
    path(
        "schedule/clinicians/<int:pk>/week/",
        views.clinician_calendar,
        {"span": "week"},
        name="week",
    ),
    path(
        "schedule/clinicians/<int:pk>/month/",
        views.clinician_calendar,
        {"span": "month"},
        name="month",
    ),
    path("schedule/clinic/day/", views.clinic_calendar, {"span": "day"}, name="clinic_day"),
    path("schedule/clinic/week/", views.clinic_calendar, {"span": "week"}, name="clinic_week"),
    path("schedule/clinic/month/", views.clinic_calendar, {"span": "month"}, name="clinic_month"),
    path("schedule/hours/", views.hours, name="hours"),
    path("schedule/hours/<int:hours_pk>/remove/", views.hours_remove, name="hours_remove"),
    path("schedule/time-off/<int:off_pk>/remove/", views.time_off_remove, name="time_off_remove"),
    path("schedule/rooms/", views.rooms, name="rooms"),
    path("schedule/rooms/<int:room_pk>/", views.room_toggle, name="room_toggle"),
    path("schedule/book/", views.book, name="book"),
    path("schedule/feed/", views.feed, name="feed"),
    path("feeds/<str:token>.ics", views.ical_feed, name="ical"),
]
