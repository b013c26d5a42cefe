from django.urls import path

from groups import views

app_name = "groups"

urlpatterns = [
    path("groups/", views.group_list, name="list"),
    path("groups/new/", views.group_create, name="create"),
    path("groups/<int:pk>/", views.group_detail, name="detail"),
    path("groups/<int:pk>/settings/", views.group_edit, name="edit"),
    path("groups/<int:pk>/end/", views.group_end, name="end"),
    path("groups/<int:pk>/members/", views.member_add, name="member_add"),
    path(
        "groups/<int:pk>/members/<int:member_pk>/leave/",
        views.member_leave,
        name="member_leave",
    ),
    path("groups/meetings/<int:pk>/", views.meeting, name="meeting"),
    path("groups/meetings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("groups/meetings/<int:pk>/drop-in/", views.drop_in, name="drop_in"),
    path("groups/meetings/<int:pk>/note/start/", views.note_start, name="note_start"),
    path("groups/meetings/<int:pk>/note/", views.note_save, name="note_save"),
    path("groups/meetings/<int:pk>/note/sign/", views.note_sign, name="note_sign"),
    path("groups/meetings/<int:pk>/note/cosign/", views.note_cosign, name="note_cosign"),
    path("groups/meetings/<int:pk>/note/return/", views.note_return, name="note_return"),
    path("clients/<int:pk>/groups/", views.section, name="section"),
]
