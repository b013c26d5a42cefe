from django.urls import path

from assessments import harm_views, views

app_name = "assessments"

urlpatterns = [
    path("clients/<int:pk>/assessments/", views.chart_section, name="section"),
    path("clients/<int:pk>/measures/<slug:code>/new/", views.administer, name="administer"),
    path("clients/<int:pk>/measures/<slug:code>/", views.trend, name="trend"),
    path(
        "clients/<int:pk>/administrations/<int:administration_pk>/",
        views.administration_detail,
        name="administration",
    ),
    path("measures/due/", views.due_list, name="due"),
    path("clients/<int:pk>/harm/new/", harm_views.harm_new, name="harm_new"),
    path("clients/<int:pk>/harm/<int:assessment_pk>/", harm_views.harm_detail, name="harm_detail"),
    path("clients/<int:pk>/harm/compare/", harm_views.harm_compare, name="harm_compare"),
]
