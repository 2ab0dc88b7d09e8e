from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from accounts.models import CourseInstructor, Profile
from courses.authoring import CourseScopedAdmin


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("time_zone", "daily_cap", "digest_enabled")
    verbose_name = verbose_name_plural = "Learner profile"


# Profile settings are edited where the user is, so auth's UserAdmin is swapped for one with the inline.
admin.site.unregister(User)


@admin.register(User)
class StudyhallUserAdmin(UserAdmin):
    inlines = (ProfileInline,)
    list_display = ("username", "email", "is_staff", "profile_time_zone", "last_login")
    list_select_related = ("profile",)

    @admin.display(description="Time zone", ordering="profile__time_zone")
    def profile_time_zone(self, obj: User) -> str:
        try:
            return str(obj.profile.time_zone)
        except Profile.DoesNotExist:
            return "—"


@admin.register(CourseInstructor)
class CourseInstructorAdmin(CourseScopedAdmin):
    """Course staff (accounts/roles.py); a course with no row is taught by every instructor."""

    list_display = ("course", "user", "role", "cohort")
    list_filter = ("course", "role")
    list_select_related = ("course", "user")
    autocomplete_fields = ("user",)
