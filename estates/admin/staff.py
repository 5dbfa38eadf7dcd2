"""Staff accounts: Django's user admin with the province each account works for."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from .. import models
from .base import PermissionBeforeLookupMixin

User = get_user_model()


class StaffProfileInline(admin.StackedInline):
    model = models.StaffProfile
    can_delete = False
    extra = 0
    max_num = 1


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(PermissionBeforeLookupMixin, GroupAdmin):
    pass


@admin.register(User)
class StaffUserAdmin(PermissionBeforeLookupMixin, UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "last_name", "first_name", "province", "is_staff", "is_active"]
    list_select_related = ["staff_profile__province"]
    list_filter = ["groups", "staff_profile__province", "is_staff", "is_active"]

    @admin.display(description="所属省份", ordering="staff_profile__province__display_order")
    def province(self, user):
        profile = getattr(user, "staff_profile", None)
        return profile.province if profile and profile.province else "—"
