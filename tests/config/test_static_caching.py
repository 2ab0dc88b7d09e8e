"""Production static files: hashed, compressed names served with far-future immutable caching."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"},
}


def test_hashed_files_are_immutable_and_compressed(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=MANIFEST, DEBUG=False):
        call_command("collectstatic", "--noinput", verbosity=0)
        from django.templatetags.static import static

        hashed = static("css/site.css")
        assert hashed != "/static/css/site.css"  # a content hash in the name
        assert (tmp_path / (hashed.removeprefix("/static/") + ".gz")).exists()
        middleware = WhiteNoiseMiddleware(lambda request: HttpResponse("app"))
        response = middleware(RequestFactory().get(hashed, HTTP_ACCEPT_ENCODING="gzip"))
        assert response.status_code == 200
        assert "immutable" in response["Cache-Control"]
        assert "max-age=315360000" in response["Cache-Control"]
        assert response["Content-Encoding"] == "gzip"
        # The unhashed name is not immutable: a deploy may change it.
        plain = middleware(RequestFactory().get("/static/css/site.css"))
        assert "immutable" not in plain.get("Cache-Control", "")
