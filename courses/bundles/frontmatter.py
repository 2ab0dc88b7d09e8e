"""YAML front matter: split it off a document (already normalised by safety.read_text) and check its keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from courses.bundles.errors import BundleError
from courses.bundles.safety import load_yaml


@dataclass
class Document:
    """One Markdown file: its front matter (if any) and its body, with line numbers kept."""

    path: str
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    # 1-based line of the body's first line in the file, so body-relative errors map back.
    body_line: int = 1
    has_front_matter: bool = False

    def key_line(self, key: str) -> int:
        """Best-effort line of a front-matter key, for error messages."""
        for offset, text in enumerate(self._front_lines):
            if text.startswith((f"{key}:", f'"{key}":', f"'{key}':")):
                return offset + 2
        return 1

    _front_lines: list[str] = field(default_factory=list, repr=False)


def split_front_matter(text: str, *, path: str) -> Document:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return Document(path=path, body=text, body_line=1)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."})
    except StopIteration:
        raise BundleError(path, 1, "front matter opened with --- but never closed") from None
    front = lines[1:end]
    meta = load_yaml("\n".join(front), path=path, first_line=2)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise BundleError(path, 2, "front matter must be a mapping of keys to values")
    return Document(
        path=path,
        meta={str(k): v for k, v in meta.items()},
        body="\n".join(lines[end + 1 :]),
        body_line=end + 2,
        has_front_matter=True,
        _front_lines=front,
    )


def check_keys(doc: Document, allowed: Iterable[str]) -> None:
    allowed_set = set(allowed)
    for key in doc.meta:
        if key not in allowed_set:
            raise BundleError(
                doc.path,
                doc.key_line(key),
                f"unknown front-matter key {key!r} (allowed: {', '.join(sorted(allowed_set))})",
            )
