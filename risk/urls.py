from django.urls import path

from risk import views

app_name = "risk"

urlpatterns = [
    path("clients/<int:pk>/risk/", views.section, name="section"),
    path("clients/<int:pk>/risk/<int:flag_pk>/", views.flag_detail, name="flag"),
    path("clients/<int:pk>/risk/<int:flag_pk>/follow-up/", views.follow_up, name="follow_up"),
    path("clients/<int:pk>/risk/<int:flag_pk>/resolve/", views.resolve, name="resolve"),
]
