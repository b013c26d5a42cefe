from django.urls import path

from goals import views

app_name = "goals"

urlpatterns = [
    path("clients/<int:pk>/plan/", views.chart_section, name="section"),
    path("clients/<int:pk>/goals/new/", views.goal_create, name="goal_create"),
    path("clients/<int:pk>/goals/<int:goal_pk>/", views.goal_detail, name="goal"),
    path("clients/<int:pk>/goals/<int:goal_pk>/review/", views.goal_review, name="goal_review"),
    path("goals/reviews-due/", views.reviews_due, name="reviews_due"),
]
