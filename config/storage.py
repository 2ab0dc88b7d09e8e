"""Static files storage: whitenoise's compressed manifest storage, with each file's URL worked out once.

A page names about ten static files and every {% static %} asks the storage for the hashed name
(a manifest lookup, then a URL join and quoting). The manifest is read once at start and never
changes while the process runs, so the URL of a name is too: it is kept per process.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = super().url(name)
            self._urls[name] = found
        return found
