from django.urls import path

from oversight import views

app_name = "oversight"

urlpatterns = [
    path("oversight/audit/", views.audit_trail, name="audit_trail"),
    path("oversight/audit/export/", views.audit_export, name="audit_export"),
    path("oversight/clients/<int:pk>/access/", views.client_access, name="client_access"),
    path("oversight/users/", views.user_activity, name="user_activity"),
    path("oversight/users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
]
