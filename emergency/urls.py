from django.urls import path

from emergency import views

# Still under the accounts namespace's old addresses (/account/emergency/); the names are the
# emergency app's own.
app_name = "emergency"

urlpatterns = [
    path("account/emergency/", views.emergency_view, name="start"),
    path("account/emergency/<int:pk>/end/", views.emergency_end_view, name="end"),
]
