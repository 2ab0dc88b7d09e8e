from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from lessons.rendering import (
    SectionInfo,
    estimate_read_minutes,
    pygments_css,
    pygments_dark_css,
    render_lesson,
    render_markdown,
    resolve_section_ref,
)

BODY = """\
## Why batches

Gradient steps on a single sample wobble.

### The noise argument

Averaging shrinks variance.

### The hardware argument

Matrix units like wide inputs.

#### Tiles

Small tiles waste lanes.

##### Too deep to number

Nobody links here.

## Choosing a size

Bigger is not always better.
"""


def test_sections_are_numbered_from_heading_levels() -> None:
    rendered = render_lesson(BODY)

    assert [(s.number, s.anchor, s.level) for s in rendered.sections] == [
        ("1", "s1", 2),
        ("1.1", "s1-1", 3),
        ("1.2", "s1-2", 3),
        ("1.2.1", "s1-2-1", 4),
        ("2", "s2", 2),
    ]
    assert rendered.sections[1].title == "The noise argument"


def test_numbered_heading_shows_its_number_and_links_to_itself() -> None:
    html = render_lesson(BODY).html

    assert '<h3 id="s1-2"><a class="section-number" href="#s1-2"' in html
    assert "§1.2</a> The hardware argument</h3>" in html


def test_headings_below_level_four_get_no_number_or_anchor() -> None:
    html = render_lesson(BODY).html

    assert "<h5>Too deep to number</h5>" in html


def test_named_section_uses_its_explicit_anchor_without_number() -> None:
    rendered = render_lesson("## Setup\n\nText.\n\n## Like I'm five {#eli5}\n\nSimple.\n\n## Next\n\nMore.\n")

    assert rendered.sections == [
        SectionInfo(number="1", anchor="s1", title="Setup", level=2),
        SectionInfo(number="", anchor="eli5", title="Like I'm five", level=2),
        SectionInfo(number="2", anchor="s2", title="Next", level=2),
    ]
    assert '<h2 id="eli5">Like I\'m five</h2>' in rendered.html


def test_duplicate_explicit_ids_get_a_suffix() -> None:
    rendered = render_lesson("## One {#recap}\n\n## Two {#recap}\n\n## Three {#s1}\n\n## Four\n")

    anchors = [s.anchor for s in rendered.sections]
    assert anchors == ["recap", "recap-2", "s1-2", "s1"]
    assert len(set(anchors)) == len(anchors)


def test_h1_headings_become_the_top_level() -> None:
    rendered = render_lesson("# Part A\n\n## Detail\n\n# Part B\n")

    assert [(s.number, s.level) for s in rendered.sections] == [("1", 2), ("1.1", 3), ("2", 2)]
    assert "<h1" not in rendered.html
    assert '<h2 id="s2">' in rendered.html


def test_inline_markup_in_a_heading_is_kept_in_html_and_plain_in_the_title() -> None:
    rendered = render_lesson("## Calling `fit()` & *friends*\n")

    assert rendered.sections[0].title == "Calling fit() & friends"
    assert "<code>fit()</code>" in rendered.html


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("tldr", "TL;DR"),
        ("example", "Example"),
        ("pitfall", "Pitfall"),
        ("insight", "Insight"),
        ("remember", "Remember"),
    ],
)
def test_callout_without_title_shows_its_label(kind: str, label: str) -> None:
    html = render_markdown(f"!!! {kind}\n    The body text.\n")

    assert f'<aside class="callout callout-{kind}">' in html
    assert f'<p class="callout-title">{label}</p>' in html
    assert "<p>The body text.</p>" in html


def test_callout_with_title_joins_label_and_title() -> None:
    html = render_markdown('!!! pitfall "Leaking the test set"\n    Split before you scale.\n')

    assert '<p class="callout-title">Pitfall — Leaking the test set</p>' in html


@pytest.mark.parametrize(
    ("written", "kind"),
    [("Example", "example"), ("PITFALL", "pitfall"), ("TLDR", "tldr"), ("The-Insight", "insight")],
)
def test_callout_kinds_in_any_case(written: str, kind: str) -> None:
    html = render_markdown(f'!!! {written} "On a hill"\n    Lower pressure.\n')

    assert f'<aside class="callout callout-{kind}">' in html


@pytest.mark.parametrize("kind", ["note", "warning"])
def test_generic_callouts(kind: str) -> None:
    html = render_markdown(f"!!! {kind}\n    Heads up.\n")

    assert f'<aside class="callout callout-{kind}">' in html
    assert "admonition" not in html


def test_compare_block_has_title_and_columns_that_are_not_sections() -> None:
    text = """\
## Before

!!! compare "Adam vs SGD"
    !!! column "Adam"
        - keeps two moments

        ### Memory
    !!! column "SGD"
        - one learning rate

## After
"""
    rendered = render_lesson(text)

    assert '<div class="compare">' in rendered.html
    assert '<p class="compare-title">Adam vs SGD</p>' in rendered.html
    assert rendered.html.count('<div class="compare-col">') == 2
    assert '<h4 class="compare-heading">Adam</h4>' in rendered.html
    assert '<h4 class="compare-heading">SGD</h4>' in rendered.html
    assert [s.title for s in rendered.sections] == ["Before", "After"]


def test_tables_are_wrapped_for_horizontal_scrolling() -> None:
    html = render_markdown("| Model | Params |\n|:--|--:|\n| small | 10M |\n")

    assert html.startswith('<div class="table-wrap"><table>')
    assert '<td align="right">10M</td>' in html


def test_fenced_code_is_highlighted_with_classes_not_inline_styles() -> None:
    html = render_markdown("```python\ndef step(lr):\n    return lr * 2\n```\n")

    assert '<div class="highlight"><pre tabindex="0" role="region" aria-label="Code: def step(lr):">' in html
    assert '<span class="k">def</span>' in html
    assert "style=" not in html


def test_footnotes_keep_their_ids() -> None:
    html = render_markdown("A claim.[^src]\n\n[^src]: Where it comes from.\n")

    assert '<sup id="fnref:src">' in html
    assert '<li id="fn:src">' in html


def test_check_paragraph_becomes_marker_after_sanitizing() -> None:
    rendered = render_lesson(
        "## Warm-up\n\nRead this.\n\n{{check: warm_up-1}}\n\nThen this.\n\n{{ check:second }}\n"
    )

    assert "<!--check:warm_up-1-->" in rendered.html
    assert "<!--check:second-->" in rendered.html
    assert rendered.check_slugs == ["warm_up-1", "second"]
    assert "{{" not in rendered.html


def test_invalid_check_stays_literal_text() -> None:
    rendered = render_lesson("{{check: Not A Slug}}\n\nSome {{check: inline}} text.\n")

    assert rendered.check_slugs == []
    assert "<p>{{check: Not A Slug}}</p>" in rendered.html
    assert "<!--" not in rendered.html


def test_render_markdown_has_no_section_numbers_or_checks() -> None:
    html = render_markdown("## A heading\n\n{{check: foo}}\n")

    assert "<h2>A heading</h2>" in html
    assert "section-number" not in html
    assert "<p>{{check: foo}}</p>" in html


def test_hand_written_marker_comment_is_stripped() -> None:
    rendered = render_lesson("Before <!--check:smuggled--> after\n\n<!--check:block-->\n")

    assert "smuggled" not in rendered.html
    assert "<!--" not in rendered.html
    assert rendered.check_slugs == []


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('pwned')</script>\n\nok",
        '<img src="/x.png" onerror="alert(\'pwned\')">',
        "[click](javascript:alert('pwned'))",
        "<a href=\"javascript:alert('pwned')\">click</a>",
        "<p onclick=\"alert('pwned')\">hi</p>",
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        "![pic](data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+)",
    ],
)
def test_dangerous_html_is_removed(text: str) -> None:
    for html in (render_markdown(text), render_lesson(text).html):
        lowered = html.lower()
        assert "<script" not in lowered
        assert "onerror" not in lowered
        assert "onclick" not in lowered
        assert "javascript:" not in lowered
        assert "<iframe" not in lowered
        assert "<style" not in lowered
        assert "style=" not in lowered
        assert "data:" not in lowered


def test_script_content_is_dropped_not_shown() -> None:
    assert "alert" not in render_markdown("<script>alert(1)</script>")


def test_links_get_rel_and_safe_images_survive() -> None:
    html = render_markdown('[docs](https://example.com/a) ![diagram](/static/img/d.png "Flow")')

    assert 'href="https://example.com/a"' in html
    assert 'rel="noopener noreferrer"' in html
    assert '<img alt="diagram" src="/static/img/d.png" title="Flow">' in html


def test_image_with_mailto_source_loses_it() -> None:
    assert "mailto" not in render_markdown("![x](mailto:someone@example.com)")


def test_empty_input_renders_empty() -> None:
    assert render_markdown("  \n") == ""
    assert render_lesson("").html == ""
    assert render_lesson("").sections == []


SECTIONS = [
    SectionInfo(number="1", anchor="s1", title="Setting the scene", level=2),
    SectionInfo(number="2", anchor="s2", title="Loss surfaces", level=2),
    SectionInfo(number="2.1", anchor="s2-1", title="Saddle points", level=3),
    SectionInfo(number="3", anchor="s3", title="Momentum", level=2),
    SectionInfo(number="3.1", anchor="s3-1", title="Heavy ball", level=3),
    SectionInfo(number="3.2", anchor="s3-2", title="Nesterov", level=3),
    SectionInfo(number="4.2", anchor="s4-2", title="Warmup", level=3),
    SectionInfo(number="", anchor="eli5", title="ELI5", level=2),
    SectionInfo(number="6.1", anchor="s6-1", title="Schedules", level=3),
    SectionInfo(number="", anchor="wrap-up", title="The final bridge to practice", level=2),
]


@pytest.mark.parametrize(
    ("ref", "anchor"),
    [
        ("§2.1", "s2-1"),
        ("§3.1-§3.2", "s3-1"),
        ("§3", "s3"),
        ("explainer §4.2", "s4-2"),
        ("ELI5", "eli5"),
        ("eli5", "eli5"),
        ("ELI5 + §6.1", "eli5"),
        ("§6.1 + ELI5", "s6-1"),
        ("(§2.1)", "s2-1"),
        ("final bridge", "wrap-up"),
        ("Final Bridge", "wrap-up"),
        ("§ 2.1", "s2-1"),
        ("§3.1\u2013§3.2", "s3-1"),
        ("Sections 4.2 and 2.1", "s4-2"),
        ("Section 9.9 and 2.1", "s2-1"),
        ("Ch. 3", "s3"),
        ("chapter 3", "s3"),
        ("§9.9", ""),
        ("§5", ""),
        ("no such words", ""),
        ("", ""),
    ],
)
def test_resolve_section_ref(ref: str, anchor: str) -> None:
    assert resolve_section_ref(ref, SECTIONS) == anchor


def test_resolve_section_ref_matches_title_prefix_of_named_section() -> None:
    sections = [SectionInfo(number="", anchor="simple", title="ELI5: the short version", level=2)]

    assert resolve_section_ref("ELI5", sections) == "simple"


def test_resolve_section_ref_with_unresolvable_first_part_tries_the_next() -> None:
    assert resolve_section_ref("ELI5 + §3.2", SECTIONS[:6]) == "s3-2"


def test_estimate_read_minutes() -> None:
    assert estimate_read_minutes("") == 1
    assert estimate_read_minutes("word " * 1000) == 5
    code = "```\n" + "x = 1\n" * 100 + "```\n"
    # 100 code lines weigh more than the 300 words they contain.
    assert estimate_read_minutes(code) == 5


def test_committed_pygments_css_matches_generator() -> None:
    committed = Path(settings.BASE_DIR, "static", "css", "pygments.css").read_text(encoding="utf-8")

    assert committed == pygments_css()
    assert ".highlight .k " in committed


def test_code_blocks_are_focusable_regions_each_with_its_own_label() -> None:
    """A code block scrolls sideways, so a keyboard user must reach it (tabindex) and hear which it is."""
    html = render_lesson(
        "## Code\n\n```sql\nSELECT * FROM t;\n```\n\n"
        "    indented & <b>raw</b>\n\n"
        "```sql\nSELECT * FROM t;\n```\n"
    ).html

    labels = re.findall(r'<pre tabindex="0" role="region" aria-label="([^"]*)">', html)
    assert labels == [
        "Code: SELECT * FROM t;",
        "Code: indented &amp; &lt;b&gt;raw&lt;/b&gt;",
        "Code: SELECT * FROM t; (2)",
    ]
    assert html.count("<pre") == 3


def test_an_author_cannot_set_tabindex_or_role_on_their_own_html() -> None:
    """The region attributes come from the renderer after sanitizing; nh3 still drops an author's."""
    html = render_markdown(
        '<p tabindex="5" role="button" aria-label="x">Hi</p>\n\n<pre tabindex="7" role="alert">y</pre>\n'
    )

    assert 'tabindex="5"' not in html and 'role="button"' not in html and 'aria-label="x"' not in html
    assert 'tabindex="7"' not in html and 'role="alert"' not in html
    assert '<pre tabindex="0" role="region" aria-label="Code: y">y</pre>' in html


def test_committed_dark_pygments_css_matches_generator_and_covers_every_light_class() -> None:
    committed = Path(settings.BASE_DIR, "static", "css", "pygments-dark.css").read_text(encoding="utf-8")
    light = Path(settings.BASE_DIR, "static", "css", "pygments.css").read_text(encoding="utf-8")

    assert committed == pygments_dark_css()
    # A class the dark sheet left out would keep the light colour on the dark background.
    light_classes = set(re.findall(r"^\.highlight \.(\w+) \{", light, re.MULTILINE)) - {"hll"}
    dark_classes = set(re.findall(r"^\.highlight \.(\w+) \{", committed, re.MULTILINE))
    assert light_classes and light_classes <= dark_classes


def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Tokens with no glyphs of their own (whitespace) or drawn with a border (errors) are not text.
NOT_TEXT = {"w", "err"}


@pytest.mark.parametrize("sheet", ["pygments.css", "pygments-dark.css"])
def test_every_code_colour_meets_aa_contrast_on_its_sheets_background(sheet: str) -> None:
    """WCAG 1.4.3: each token colour against the background the sheet paints behind code."""
    css = Path(settings.BASE_DIR, "static", "css", sheet).read_text(encoding="utf-8")
    background = re.search(r"^\.highlight \{ background: (#[0-9a-fA-F]{3,6})", css, re.MULTILINE)
    assert background is not None
    colours = {
        name: colour
        for name, colour in re.findall(
            r"^\.highlight \.(\w+) \{[^}]*?(?<!-)color: (#[0-9a-fA-F]{3,6})", css, re.MULTILINE
        )
        if name not in NOT_TEXT
    }
    assert len(colours) > 20
    low = {name: round(_contrast(colour, background.group(1)), 2) for name, colour in colours.items()}
    assert {name: ratio for name, ratio in low.items() if ratio < 4.5} == {}
