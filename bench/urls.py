"""The clinic's URLs plus /_floor/<name>/ (bench.floors). Mounted only by bench.settings."""

from django.urls import path

from bench import floors
from hrp.urls import urlpatterns as clinic

urlpatterns = [
    *clinic,
    path("_floor/<slug:name>/", floors.floor, name="bench_floor"),
]
