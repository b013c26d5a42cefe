from django.urls import path

from hrp.core import settings_views

app_name = "core"

urlpatterns = [
    path("clinic/settings/", settings_views.clinic_settings, name="clinic_settings"),
]
