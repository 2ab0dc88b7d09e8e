"""What a bundle may not do to the server: escape its folder, exhaust memory, smuggle bytes.

Every file a bundle import reads goes through `read_text`, every folder walk through
`bundle_files`, every YAML document through `load_yaml`; nothing else opens bundle files.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from courses.bundles.errors import BundleError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
MAX_FILES = 2000
MAX_FOLDER_DEPTH = 4  # bundle/modules/01-x/ is 2; leave room, refuse deep trees
MAX_YAML_DEPTH = 20
MAX_YAML_NODES = 50_000
# Tab, line feed and carriage return are text; every other C0 control, DEL and the C1
# range are not, and a NUL in particular truncates strings in some database drivers.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalise(text: str) -> str:
    """LF line ends, no BOM, no-break spaces as spaces: what every reader sees."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def check_controls(text: str, *, path: str) -> None:
    match = CONTROL_RE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        code = f"U+{ord(match.group()):04X}"
        raise BundleError(path, line, f"control character {code} is not allowed in a bundle file")


def _refuse_link_or_special(path: Path, shown: str) -> os.stat_result:
    try:
        info = path.lstat()
    except OSError as exc:
        raise BundleError(shown, None, f"cannot read: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise BundleError(shown, None, "is a symbolic link; a bundle may hold only regular files and folders")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise BundleError(shown, None, "is not a regular file or folder")
    return info


def read_text(path: Path, shown: str) -> str:
    """A bundle file's text, refused when it is a link, too large, not UTF-8 or has control bytes."""
    info = _refuse_link_or_special(path, shown)
    if info.st_size > MAX_FILE_BYTES:
        raise BundleError(
            shown, None, f"is {info.st_size} bytes; a bundle file may be at most {MAX_FILE_BYTES}"
        )
    try:
        # O_NOFOLLOW: a file swapped for a link after the check above still is not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BundleError(shown, None, f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise BundleError(shown, None, f"is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise BundleError(shown, line, f"not UTF-8 text ({exc.reason})") from None
    check_controls(text, path=shown)
    return normalise(text)


def check_tree(root: Path, shown: str) -> None:
    """Walk a bundle folder without following links; refuse links, odd files and limits exceeded."""
    files = 0
    total = 0
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        # Hidden entries (.git of a checkout, editor files) are never read, so not counted.
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        filenames = [name for name in filenames if not name.startswith(".")]
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        for name in sorted(dirnames + filenames):
            path = here / name
            where = f"{shown}/{path.relative_to(root).as_posix()}"
            info = _refuse_link_or_special(path, where)
            if stat.S_ISDIR(info.st_mode):
                if depth + 1 > MAX_FOLDER_DEPTH:
                    raise BundleError(where, None, f"folders nest deeper than {MAX_FOLDER_DEPTH} levels")
                continue
            files += 1
            total += info.st_size
            if files > MAX_FILES:
                raise BundleError(shown, None, f"has more than {MAX_FILES} files")
            if total > MAX_BUNDLE_BYTES:
                raise BundleError(shown, None, f"is larger than {MAX_BUNDLE_BYTES} bytes in all")


class _BoundedLoader(yaml.SafeLoader):
    """Safe YAML without aliases and with bounded nesting and size.

    An alias bomb (a billion laughs) expands a few lines into gigabytes only through
    aliases, and a self-referencing alias builds a cyclic structure; bundles need neither,
    so any alias is refused where it is written.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in a bundle", problem_mark=event.start_mark
            )
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise yaml.MarkedYAMLError(
                problem=f"more than {MAX_YAML_NODES} values", problem_mark=self.peek_event().start_mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nested deeper than {MAX_YAML_DEPTH} levels",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# libyaml's parser, when PyYAML was built with it: the pure-Python one spent most of a
# 100-lesson import. It cannot run _BoundedLoader's checks inside its composer, so the
# same limits are checked on its event stream first; anything the fast path does not
# accept (a limit, a syntax error) is parsed again by _BoundedLoader, which gives the
# error exactly as before.
_FAST_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)
_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_END_EVENTS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _within_limits(text: str) -> bool:
    assert _FAST_LOADER is not None
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, yaml.AliasEvent):
            return False
        if isinstance(event, _NODE_EVENTS):
            nodes += 1
            if nodes > MAX_YAML_NODES or depth + 1 > MAX_YAML_DEPTH:
                return False
            if not isinstance(event, yaml.ScalarEvent):
                depth += 1
        elif isinstance(event, _END_EVENTS):
            depth -= 1
    return True


def _fast(text: str) -> tuple[Any, yaml.Node | None] | None:
    """(data, node) through libyaml, or None to take the checked slow path."""
    if _FAST_LOADER is None:
        return None
    try:
        if not _within_limits(text):
            return None
        loader = _FAST_LOADER(text)
        try:
            node = loader.get_single_node()
            return (loader.construct_document(node) if node is not None else None), node
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError):
        return None


def compose_yaml(text: str) -> yaml.Node | None:
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load_yaml_node(text: str, *, path: str, first_line: int = 1) -> tuple[Any, yaml.Node | None]:
    """load_yaml's data with the node tree it was built from (for the line of each item)."""
    fast = _fast(text)
    if fast is not None:
        return fast
    data = _load_checked(text, path=path, first_line=first_line)
    return data, (compose_yaml(text) if data is not None else None)


def load_yaml(text: str, *, path: str, first_line: int = 1) -> Any:
    """Bounded safe YAML with errors at the file line (first_line = the text's first line in the file)."""
    fast = _fast(text)
    if fast is not None:
        return fast[0]
    return _load_checked(text, path=path, first_line=first_line)


def _load_checked(text: str, *, path: str, first_line: int) -> Any:
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BundleError(path, line, f"bad YAML: {problem}") from None
    except RecursionError:
        raise BundleError(path, first_line, "bad YAML: nested too deeply") from None
    finally:
        loader.dispose()
