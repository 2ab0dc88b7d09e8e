from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness plus a database round trip, for container health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The styled 403 for a failed CSRF check (settings.CSRF_FAILURE_VIEW).

    Rendered with the request, like Django's own 403, so the site's header and links work;
    the reason Django gives stays out of the page (it is for developers, not visitors).
    """
    return HttpResponseForbidden(render_to_string("403.html", {"csrf_failure": True}, request=request))
