from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("reminders/", views.inbox, name="inbox"),
    path("reminders/badge/", views.badge, name="badge"),
    path("reminders/read-all/", views.read_all, name="read_all"),
    path("reminders/email/", views.email_choice, name="email_choice"),
    path("reminders/<int:pk>/open/", views.open_reminder, name="open"),
    path("reminders/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("clients/<int:pk>/reminders/", views.client_reminders, name="client_reminders"),
]
