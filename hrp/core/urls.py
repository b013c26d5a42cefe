from django.urls import path

from hrp.core import settings_views, views

app_name = "core"

urlpatterns = [
    path("language-hints.json", views.language_hints, name="language_hints"),
    path("clinic/settings/", settings_views.clinic_settings, name="clinic_settings"),
]
