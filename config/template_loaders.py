"""Template loaders that drop the templates' indentation when a template is read, not per page.

A page's templates are indented for their authors; a browser collapses that whitespace
anyway, so sending it only makes every page heavier (on the bench dataset a third of the
course page and a sixth of the module page). The loaders below hand Django each `.html`
template with every line's leading spaces and tabs removed. Line breaks stay, so every run
of whitespace between two lines is still at least one break and shows as the same single
space.

`<pre>`, `<textarea>` and `<script>` keep their text exactly: there whitespace is content.
Other templates (plain-text mail) are left alone. This runs once per template and process
(behind the cached loader), so a page costs nothing more; authored lesson HTML, which
comes from the database, is never touched.
"""

from __future__ import annotations

import re

from django.template import Origin
from django.template.loaders import app_directories, filesystem

# Where whitespace is content: kept exactly, from the opening tag to the closing one.
_VERBATIM = re.compile(r"<(pre|textarea|script)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def _compact_text(text: str, *, at_line_start: bool) -> str:
    head = ""
    if not at_line_start:
        # Text right after a </pre>: its first line did not start a line of the template.
        end = text.find("\n") + 1
        if not end:
            return text
        head, text = text[:end], text[end:]
    return head + _INDENT.sub("", text)


def html_compact(source: str) -> str:
    """The template source without indentation outside <pre>, <textarea> and <script>."""
    parts: list[str] = []
    last = 0
    for match in _VERBATIM.finditer(source):
        parts.append(_compact_text(source[last : match.start()], at_line_start=last == 0))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_compact_text(source[last:], at_line_start=last == 0))
    return "".join(parts)


class _Compacting(filesystem.Loader):
    def get_contents(self, origin: Origin) -> str:
        contents = super().get_contents(origin)
        return html_compact(contents) if str(origin.name).endswith(".html") else contents


class FilesystemLoader(_Compacting):
    """The project's templates/ directory, compacted."""


class AppDirectoriesLoader(_Compacting, app_directories.Loader):
    """Each app's templates/ directory (the admin's included), compacted."""
