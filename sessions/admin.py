"""Django admin registrations. The admin is not mounted in hrp/urls.py (staff use the clinic's
own pages), but if a deployment mounts it, signed notes stay locked there too: no change or
delete permission, every field read-only, and the model's save() refuses regardless."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sessions.models import NoteAddendum, NoteReview, SessionNote


@admin.register(SessionNote)
class SessionNoteAdmin(admin.ModelAdmin):
    list_display = ("id", "client", "author", "status", "signed_at")
    list_filter = ("status",)
    raw_id_fields = ("appointment", "client", "author", "signed_by", "cosigned_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.is_signed:
            return [f.name for f in self.model._meta.fields]
        return ("status", "signed_at", "signed_by", "content_hash", "cosigned_at", "cosigned_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_signed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_signed:
            return False
        return super().has_delete_permission(request, obj)


class _AppendOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(NoteAddendum, _AppendOnlyAdmin)
admin.site.register(NoteReview, _AppendOnlyAdmin)
