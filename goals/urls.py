from django.urls import path

from goals import plan_views, views

app_name = "goals"

urlpatterns = [
    path("clients/<int:pk>/plan/", views.chart_section, name="section"),
    path("clients/<int:pk>/goals/new/", views.goal_create, name="goal_create"),
    path("clients/<int:pk>/goals/<int:goal_pk>/", views.goal_detail, name="goal"),
    path("clients/<int:pk>/goals/<int:goal_pk>/review/", views.goal_review, name="goal_review"),
    path("goals/reviews-due/", views.reviews_due, name="reviews_due"),
    path("clients/<int:pk>/plan/edit/", plan_views.plan_edit, name="plan_edit"),
    path("clients/<int:pk>/plan/versions/", plan_views.plan_history, name="plan_history"),
    path(
        "clients/<int:pk>/plan/versions/<int:number>/",
        plan_views.plan_version,
        name="plan_version",
    ),
    path("clients/<int:pk>/plan/review/", plan_views.plan_review, name="plan_review"),
    path("clients/<int:pk>/plan/compare/", plan_views.plan_compare, name="plan_compare"),
    # The client's own printable copy of their plan, goals, balance and safer-use information.
    path("clients/<int:pk>/plan/your-copy/", views.client_copy, name="client_copy"),
    path("clients/<int:pk>/plan/your-copy/pdf/", views.client_copy_pdf, name="client_copy_pdf"),
]
