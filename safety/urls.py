from django.urls import path

from safety import views

app_name = "safety"

urlpatterns = [
    path("clients/<int:pk>/safety/", views.chart_section, name="section"),
    path("clients/<int:pk>/safety/plan/edit/", views.safety_edit, name="safety_edit"),
    path("clients/<int:pk>/safety/plan/versions/", views.safety_history, name="safety_history"),
    path(
        "clients/<int:pk>/safety/plan/versions/<int:number>/",
        views.safety_version,
        name="safety_version",
    ),
    path(
        "clients/<int:pk>/safety/plan/versions/<int:number>/print/",
        views.safety_print,
        name="safety_print",
    ),
    path("clients/<int:pk>/safety/overdose/edit/", views.overdose_edit, name="overdose_edit"),
    path(
        "clients/<int:pk>/safety/overdose/versions/",
        views.overdose_history,
        name="overdose_history",
    ),
    path(
        "clients/<int:pk>/safety/overdose/versions/<int:number>/",
        views.overdose_version,
        name="overdose_version",
    ),
    path(
        "clients/<int:pk>/safety/overdose/versions/<int:number>/print/",
        views.overdose_print,
        name="overdose_print",
    ),
    path("clients/<int:pk>/safety/tolerance/new/", views.tolerance_new, name="tolerance_new"),
]
