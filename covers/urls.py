from django.urls import path

from covers import views

app_name = "covers"

urlpatterns = [
    path("covers/", views.cover_list, name="list"),
    path("covers/new/", views.cover_arrange, name="arrange"),
    path("covers/<int:pk>/end/", views.cover_end, name="end"),
    path("covers/home-notices/", views.home_notices, name="home_notices"),
]
