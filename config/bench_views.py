"""The benchmark's baseline: the cheapest page Django can serve through this site's middleware.

`make bench` measures every page against this one in the same run, so the ratios show the
cost of the page's own work (queries, templates) rather than of the machine or the server.
It is routed only in benchmark runs: bench/settings.py makes this module the URLconf.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as site_urlpatterns


@require_GET
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare, name="bench-bare"), *site_urlpatterns]
