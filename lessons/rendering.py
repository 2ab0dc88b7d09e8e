"""The one place that knows Markdown, Pygments and nh3.

Everything here is pure (no database access), so it can run at save/import time and in
tests without fixtures. Callers store the HTML it returns; nothing renders per request.

Regenerate the Pygments stylesheets (light, and dark under prefers-color-scheme) with:

    .venv/bin/python -m lessons.rendering > static/css/pygments.css
    .venv/bin/python -m lessons.rendering dark > static/css/pygments-dark.css
"""

from __future__ import annotations

import html
import re
import secrets
import sys
import threading
import xml.etree.ElementTree as etree
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, ETX, STX
from pygments.formatters import HtmlFormatter
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token

if TYPE_CHECKING:
    from lessons.models import Section

PYGMENTS_STYLE = "default"
# Both chosen because every token colour of theirs meets 4.5:1 on the style's own background
# (tests/lessons/test_rendering.py measures it), which the page shows behind the code.
PYGMENTS_DARK_STYLE = "github-dark"
HIGHLIGHT_CLASS = "highlight"
WORDS_PER_MINUTE = 200
# Code is read more slowly than prose; one line of code costs about as much as this many words.
WORDS_PER_CODE_LINE = 10
MAX_ANCHOR_LENGTH = 80  # Section.anchor max_length


@dataclass(frozen=True)
class SectionInfo:
    number: str  # "2.3"; "" for a named, unnumbered section
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class RenderedLesson:
    html: str
    sections: list[SectionInfo] = field(default_factory=list)
    check_slugs: list[str] = field(default_factory=list)


# --- callouts -------------------------------------------------------------------------

CALLOUT_LABELS: dict[str, str] = {
    "tldr": "TL;DR",
    "example": "Example",
    "pitfall": "Pitfall",
    "insight": "Insight",
    "remember": "Remember",
    "note": "Note",
    "warning": "Warning",
}
CALLOUT_ALIASES: dict[str, str] = {
    "tl-dr": "tldr",
    "summary": "tldr",
    "the-insight": "insight",
    "key-insight": "insight",
    "danger": "warning",
    "caution": "warning",
}
COMPARE_KIND = "compare"
COLUMN_KIND = "column"


class _CalloutBlockProcessor(AdmonitionProcessor):
    """Admonitions that only carry a title element when the author wrote one.

    The stock processor invents a title from the kind ("Tldr"), which would make
    `!!! tldr` and `!!! tldr "Tldr"` indistinguishable when we build our own labels.
    """

    def get_class_and_title(self, match: re.Match[str]) -> tuple[str, str | None]:
        klass, title = match.group(1).lower(), match.group(2)
        klass = self.RE_SPACES.sub(" ", klass)
        return klass, (title or None)


def _title_element(el: etree.Element) -> etree.Element | None:
    if len(el) and el[0].tag == "p" and el[0].get("class") == "admonition-title":
        return el[0]
    return None


def _transform_callouts(parent: etree.Element) -> None:
    for el in parent:
        _transform_callouts(el)
        classes = (el.get("class") or "").split()
        if el.tag != "div" or not classes or classes[0] != "admonition":
            continue
        kind = classes[1] if len(classes) > 1 else "note"
        kind = CALLOUT_ALIASES.get(kind, kind)
        title = _title_element(el)
        if kind == COMPARE_KIND:
            el.set("class", "compare")
            if title is not None:
                title.set("class", "compare-title")
        elif kind == COLUMN_KIND:
            el.set("class", "compare-col")
            if title is not None:
                title.tag = "h4"
                title.set("class", "compare-heading")
        else:
            el.tag = "aside"
            css_kind = kind if kind in CALLOUT_LABELS else "note"
            el.set("class", f"callout callout-{css_kind}")
            label = CALLOUT_LABELS.get(kind, kind.replace("-", " ").capitalize())
            if title is None:
                title = etree.Element("p")
                title.text = label
                title.tail = "\n"
                el.insert(0, title)
            else:
                title.text = f"{label} — {title.text or ''}"
            title.set("class", "callout-title")


def _wrap_tables(root: etree.Element) -> None:
    for parent in list(root.iter()):
        for index, child in enumerate(list(parent)):
            if child.tag == "table":
                wrap = etree.Element("div", {"class": "table-wrap"})
                wrap.tail, child.tail = child.tail, None
                parent.remove(child)
                wrap.append(child)
                parent.insert(index, wrap)


# --- headings and sections ------------------------------------------------------------

_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
_STASH_RE = re.compile(STX + r"wzxhzdk:(\d+)" + ETX)
_ESCAPED_CHAR_RE = re.compile(STX + r"(\d+)" + ETX)
_ANY_PLACEHOLDER_RE = re.compile(STX + ".*?" + ETX)
_ID_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_-]+")


def _plain_text(el: etree.Element, md: markdown.Markdown) -> str:
    """The visible text of an element mid-pipeline, with Markdown's placeholders resolved."""

    def from_stash(match: re.Match[str]) -> str:
        raw = md.htmlStash.rawHtmlBlocks[int(match.group(1))]
        raw_text = raw if isinstance(raw, str) else "".join(raw.itertext())
        return re.sub(r"<[^>]*>", "", raw_text)

    text = "".join(el.itertext())
    text = _STASH_RE.sub(from_stash, text)
    text = _ESCAPED_CHAR_RE.sub(lambda m: chr(int(m.group(1))), text)
    text = text.replace(AMP_SUBSTITUTE, "&")
    text = _ANY_PLACEHOLDER_RE.sub("", text)
    return " ".join(html.unescape(text).split())


def _unique(anchor: str, used: set[str]) -> str:
    candidate, n = anchor, 1
    while candidate in used:
        n += 1
        suffix = f"-{n}"
        candidate = anchor[: MAX_ANCHOR_LENGTH - len(suffix)] + suffix
    used.add(candidate)
    return candidate


@dataclass
class _Heading:
    el: etree.Element
    level: int
    number: str = ""
    explicit_id: str = ""


def _number_headings(root: etree.Element, md: markdown.Markdown) -> list[SectionInfo]:
    # Only the body's own outline counts: headings inside callouts, comparison columns,
    # lists or quotes are decoration, not sections a reference can point to.
    headings = [_Heading(el=el, level=_HEADING_TAGS[el.tag]) for el in root if el.tag in _HEADING_TAGS]
    if not headings:
        return []
    shift = min(h.level for h in headings) - 2
    counters = [0, 0, 0]
    named_level = 0  # headings below a named section belong to it, so they get no number
    for heading in headings:
        heading.level = min(6, heading.level - shift)
        heading.el.tag = f"h{heading.level}"
        if named_level and heading.level <= named_level:
            named_level = 0
        explicit = heading.el.get("id")
        if explicit:
            heading.explicit_id = _ID_UNSAFE_RE.sub("-", explicit).strip("-")[:MAX_ANCHOR_LENGTH] or "section"
            named_level = named_level or heading.level
            continue
        if named_level or heading.level > 4:
            continue
        depth = heading.level - 2
        counters[depth] += 1
        for deeper in range(depth + 1, 3):
            counters[deeper] = 0
        heading.number = ".".join(str(c) for c in counters[: depth + 1])

    # Numbered anchors are reserved first so a hand-written id can never steal "s2".
    used = {"s" + h.number.replace(".", "-") for h in headings if h.number}
    sections: list[SectionInfo] = []
    for heading in headings:
        if heading.number:
            anchor = "s" + heading.number.replace(".", "-")
        elif heading.explicit_id:
            anchor = _unique(heading.explicit_id, used)
        else:
            heading.el.attrib.pop("id", None)
            continue
        title = _plain_text(heading.el, md)
        heading.el.set("id", anchor)
        if heading.number:
            link = etree.Element("a", {"class": "section-number", "href": f"#{anchor}"})
            link.text = f"§{heading.number}"
            link.tail = " " + (heading.el.text or "").lstrip()
            heading.el.text = None
            heading.el.insert(0, link)
        sections.append(SectionInfo(number=heading.number, anchor=anchor, title=title, level=heading.level))
    return sections


# --- checks ---------------------------------------------------------------------------

CHECK_RE = re.compile(r"^\{\{\s*check\s*:\s*([a-z0-9_-]+)\s*\}\}$")


@dataclass
class _RenderState:
    number_sections: bool
    sections: list[SectionInfo] = field(default_factory=list)
    # A fresh random token per render: authors cannot type a placeholder that we would
    # later turn into a check marker.
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    checks: list[str] = field(default_factory=list)

    def check_placeholder(self, index: int) -> str:
        return f"zzcheck{self.token}n{index}zz"


class _StateHolder:
    """The render in progress, for a Markdown instance that is built once and reused."""

    state: _RenderState


class _CheckTreeprocessor(Treeprocessor):
    """Turn a top-level paragraph `{{check: slug}}` into a placeholder nh3 will keep."""

    def __init__(self, md: markdown.Markdown, holder: _StateHolder) -> None:
        super().__init__(md)
        self.holder = holder

    @property
    def state(self) -> _RenderState:
        return self.holder.state

    def run(self, root: etree.Element) -> None:
        # Top level only: a marker nested in a list or callout would cut that element
        # in half when the page splits the body at each check.
        for el in root:
            if el.tag != "p" or len(el):
                continue
            match = CHECK_RE.match((el.text or "").strip())
            if match:
                el.text = self.state.check_placeholder(len(self.state.checks))
                self.state.checks.append(match.group(1))


class _StructureTreeprocessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, holder: _StateHolder) -> None:
        super().__init__(md)
        self.holder = holder

    @property
    def state(self) -> _RenderState:
        return self.holder.state

    def run(self, root: etree.Element) -> None:
        _transform_callouts(root)
        _wrap_tables(root)
        if self.state.number_sections:
            self.state.sections = _number_headings(root, self.md)


class _StudyhallExtension(Extension):
    def __init__(self, holder: _StateHolder, *, number_sections: bool) -> None:
        super().__init__()
        self.holder = holder
        self.number_sections = number_sections

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Same name and priority as the stock admonition processor, which it replaces.
        md.parser.blockprocessors.register(_CalloutBlockProcessor(md.parser), "admonition", 105)
        if self.number_sections:
            # Before "inline" (20), while paragraph text is still raw source.
            md.treeprocessors.register(_CheckTreeprocessor(md, self.holder), "studyhall-checks", 25)
        # After "attr_list" (8), so explicit heading ids are already in place.
        md.treeprocessors.register(_StructureTreeprocessor(md, self.holder), "studyhall-structure", 6)


# Building a Markdown instance with its extensions cost about as much as converting a
# short field, and an import converts thousands; one instance per thread and kind is
# reset and reused (Markdown instances are not thread-safe, hence per thread).
_instances = threading.local()


def _convert(text: str, state: _RenderState) -> str:
    key = "lesson" if state.number_sections else "field"
    cached: tuple[markdown.Markdown, _StateHolder] | None = getattr(_instances, key, None)
    if cached is None:
        holder = _StateHolder()
        cached = (_build(holder, number_sections=state.number_sections), holder)
        setattr(_instances, key, cached)
    md, holder = cached
    holder.state = state
    try:
        return md.reset().convert(text)
    finally:
        md.reset()


def _build(holder: _StateHolder, *, number_sections: bool) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "codehilite",
            "admonition",
            "sane_lists",
            "attr_list",
            "footnotes",
            "def_list",
            _StudyhallExtension(holder, number_sections=number_sections),
        ],
        extension_configs={
            "codehilite": {"css_class": HIGHLIGHT_CLASS, "guess_lang": False, "noclasses": False},
            # align= rather than style=, because the sanitizer drops every style attribute.
            "tables": {"use_align_attribute": True},
        },
        output_format="html",
    )


# --- sanitizing -----------------------------------------------------------------------

ALLOWED_TAGS = {
    *(f"h{n}" for n in range(1, 7)),
    "p", "a", "ul", "ol", "li", "code", "pre", "span", "div", "kbd", "samp", "var",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
    "blockquote", "em", "strong", "del", "ins", "s", "mark", "abbr", "hr", "br", "img",
    "aside", "sup", "sub", "dl", "dt", "dd", "details", "summary",
}  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "sup": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "details": {"open"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # nh3 already limits URLs to URL_SCHEMES; an image has no business with mailto:.
    if tag == "img" and attribute == "src" and value.strip().lower().startswith("mailto:"):
        return None
    return value


def sanitize(html_text: str) -> str:
    """Strip everything but the tags and attributes our Markdown produces."""
    return nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=URL_SCHEMES,
    )


# --- public API -----------------------------------------------------------------------


def render_markdown(text: str) -> str:
    """Sanitized HTML for a short field: no section numbers, no check markers."""
    if not text.strip():
        return ""
    return _code_regions(sanitize(_convert(text, _RenderState(number_sections=False))))


_PRE_RE = re.compile(r"<pre( class=\"[^\"]*\")?>(.*?)</pre>", re.DOTALL)
_TAG_RE = re.compile(r"<[^>]+>")
CODE_LABEL_CHARS = 48


def _code_regions(html_text: str) -> str:
    """Make each code block a labelled, focusable region: it scrolls sideways, and a keyboard
    user must be able to reach it to scroll (WCAG 2.1.1; axe's scrollable-region-focusable).

    The label is "Code: " and the block's first line, so two blocks on one page are told apart
    (a repeated first line within one field gets its number). Added after sanitizing, like
    the check markers: the stored HTML keeps nh3's rules (no tabindex or role from an
    author), and nh3 writes every <pre> tag the same way.
    """
    seen: dict[str, int] = {}

    def label(match: re.Match[str]) -> str:
        text = html.unescape(_TAG_RE.sub("", match.group(2)))
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        name = "Code: " + (first if len(first) <= CODE_LABEL_CHARS else first[: CODE_LABEL_CHARS - 1] + "…")
        if not first:
            name = "Code"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        attrs = (
            f'{match.group(1) or ""} tabindex="0" role="region" aria-label="{html.escape(name, quote=True)}"'
        )
        return f"<pre{attrs}>{match.group(2)}</pre>"

    return _PRE_RE.sub(label, html_text)


def render_lesson(text: str) -> RenderedLesson:
    """Sanitized HTML of a lesson body, its numbered sections and its embedded checks."""
    if not text.strip():
        return RenderedLesson(html="", sections=[], check_slugs=[])
    state = _RenderState(number_sections=True)
    html_text = _code_regions(sanitize(_convert(text, state)))
    # Markers are HTML comments, which nh3 strips, so they go in only after sanitizing.
    for index, slug in enumerate(state.checks):
        html_text = html_text.replace(f"<p>{state.check_placeholder(index)}</p>", f"<!--check:{slug}-->")
    return RenderedLesson(html=html_text, sections=list(state.sections), check_slugs=list(state.checks))


_REF_SPLIT_RE = re.compile(r"\s*[+,;&]\s*|\s+and\s+", re.IGNORECASE)
_REF_NUMBER_RE = re.compile(r"§+\s*(\d+(?:\.\d+)*)")
# "2.1", "Section 2.1", "Sections 1.4 and 2.1" (split on "and" first), "Ch. 10", "chapter 3".
_BARE_NUMBER_RE = re.compile(
    r"^(?:sections?\s+|sec\.?\s*|ch(?:apters?|s?\.)?\s*)?(\d+(?:\.\d+)*)\.?$", re.IGNORECASE
)


def _resolve_part(part: str, sections: Sequence[SectionInfo | Section]) -> str:
    match = _REF_NUMBER_RE.search(part) or _BARE_NUMBER_RE.match(part)
    if match:
        number = match.group(1)
        return next((s.anchor for s in sections if s.number == number), "")
    key = " ".join(part.lower().split())
    if not key:
        return ""
    slug = _ID_UNSAFE_RE.sub("-", key).strip("-")
    checks = (
        lambda s: s.anchor.lower() == slug,
        lambda s: s.title.lower().startswith(key),
        lambda s: key in " ".join(s.title.lower().split()),
        lambda s: set(key.split()) <= set(re.findall(r"[\w-]+", s.title.lower())),
    )
    for check in checks:
        found = next((s.anchor for s in sections if check(s)), "")
        if found:
            return found
    return ""


def resolve_section_ref(ref: str, sections: Sequence[SectionInfo | Section]) -> str:
    """The anchor a reference such as "§2.1", "§3.1-§3.2" or "ELI5 + §6.1" points to, or ""."""
    ref = ref.strip().strip("()").strip()
    for part in _REF_SPLIT_RE.split(ref):
        anchor = _resolve_part(part, sections)
        if anchor:
            return anchor
    return ""


_FENCE_RE = re.compile(r"^\s*(```|~~~)")


def estimate_read_minutes(text: str) -> int:
    """Minutes to read a Markdown body: 200 words a minute, code lines weighing more."""
    words = code_lines = 0
    in_code = False
    for line in text.splitlines():
        if _FENCE_RE.match(line):
            in_code = not in_code
        elif in_code:
            code_lines += 1 if line.strip() else 0
        else:
            words += len(line.split())
    return max(1, round((words + code_lines * WORDS_PER_CODE_LINE) / WORDS_PER_MINUTE))


def pygments_css() -> str:
    """The stylesheet for highlighted code; static/css/pygments.css is generated from it."""
    rules = HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    header = (
        f"/* Generated by lessons.rendering.pygments_css(), Pygments style {PYGMENTS_STYLE!r}.\n"
        "   Do not edit; regenerate: .venv/bin/python -m lessons.rendering > static/css/pygments.css */\n"
    )
    return header + rules + "\n"


def pygments_dark_css() -> str:
    """The dark stylesheet (static/css/pygments-dark.css), loaded after the light one under
    prefers-color-scheme: dark.

    Every token class gets a full rule (colour, weight, slant), not only those the dark style
    colours: a class left out would keep the light sheet's colour on the dark background.
    """
    style = get_style_by_name(PYGMENTS_DARK_STYLE)
    prefix = f".{HIGHLIGHT_CLASS}"
    text = style.style_for_token(Token.Text)["color"]
    lines = [
        f"/* Generated by lessons.rendering.pygments_dark_css(), Pygments style {PYGMENTS_DARK_STYLE!r}.",
        "   Do not edit; regenerate: "
        ".venv/bin/python -m lessons.rendering dark > static/css/pygments-dark.css */",
        f"{prefix} {{ background: {style.background_color}; color: #{text}; }}",
        # A marked line: a dark wash (the style's own grey would take the text below 4.5:1).
        f"{prefix} .hll {{ background-color: #2d333b; }}",
    ]
    for token, css_class in sorted(STANDARD_TYPES.items(), key=lambda item: item[1]):
        if not css_class:
            continue
        found = style.style_for_token(token)
        rule = [
            f"color: #{found['color'] or text}",
            f"font-weight: {'bold' if found['bold'] else 'normal'}",
            f"font-style: {'italic' if found['italic'] else 'normal'}",
            f"background-color: {'#' + found['bgcolor'] if found['bgcolor'] else 'transparent'}",
            f"border: {'1px solid #' + found['border'] if found['border'] else '0'}",
        ]
        lines.append(f"{prefix} .{css_class} {{ {'; '.join(rule)} }}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(pygments_dark_css() if sys.argv[1:] == ["dark"] else pygments_css())
