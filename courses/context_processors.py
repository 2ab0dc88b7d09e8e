from django.conf import settings
from django.http import HttpRequest

from accounts.roles import can_use_admin


def site(request: HttpRequest) -> dict[str, object]:
    # The admin link asks the same rule as the admin itself (accounts/roles.py).
    return {"SITE_NAME": settings.SITE_NAME, "can_use_admin": can_use_admin(getattr(request, "user", None))}
