from django.urls import path

from linkage import views

app_name = "linkage"

# This app owns the chart's Referrals section (registered in linkage/apps.py).
urlpatterns = [
    path("clients/<int:pk>/referrals/", views.section, name="section"),
    path("clients/<int:pk>/referrals/new/", views.offer, name="offer"),
    path("clients/<int:pk>/referrals/<int:referral_pk>/", views.update, name="update"),
]
