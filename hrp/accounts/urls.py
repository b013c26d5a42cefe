from django.urls import path

from hrp.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.LoginView.as_view(), name="login"),
    path("sign-out/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("idle/", views.idle_status, name="idle_status"),
    path("signed-out/", views.timed_out, name="timed_out"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("me/", views.my_account, name="my_account"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("set-password/<uidb64>/<token>/", views.set_password, name="set_password"),
    path("set-password/done/", views.set_password_done, name="set_password_done"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/<slug:action>/", views.staff_action, name="staff_action"),
]
