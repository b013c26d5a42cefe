from django.urls import path

from hrp.core import settings_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("clinic/settings/", settings_views.clinic_settings, name="clinic_settings"),
]
