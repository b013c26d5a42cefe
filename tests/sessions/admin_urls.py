"""A URLconf for tests only: the project's URLs with the Django admin mounted at /admin/, to
show that signed notes stay locked even where a deployment chose to mount the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("hrp.urls")),
]
