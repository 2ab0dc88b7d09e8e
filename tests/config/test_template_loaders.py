"""The templates' indentation is dropped once, when a template is read (config/template_loaders.py)."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.test import Client

from config.template_loaders import html_compact
from tests.factories import CourseFactory, LessonFactory, ModuleFactory

SOURCE = """<ul>
    {% for x in items %}
    <li>{{ x }}</li>
    {% endfor %}
</ul>
  <pre>
    kept   as is
  </pre>  after
\t<textarea name="t">
  typed
</textarea>
<script>
  const a = `
    literal`;
</script>
"""


def test_indentation_goes_and_every_line_keeps_its_break() -> None:
    compact = html_compact(SOURCE)

    assert compact.startswith("<ul>\n{% for x in items %}\n<li>{{ x }}</li>\n{% endfor %}\n</ul>\n<pre>")
    assert compact.count("\n") == SOURCE.count("\n")
    # Whitespace is content in these three: kept exactly, and the text after </pre> on its line too.
    assert "<pre>\n    kept   as is\n  </pre>  after\n" in compact
    assert '<textarea name="t">\n  typed\n</textarea>' in compact
    assert "const a = `\n    literal`;" in compact


def test_what_a_browser_shows_is_the_same() -> None:
    # Outside the three verbatim elements, collapsing whitespace as a browser does gives one text.
    def shown(html: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<(pre|textarea|script)\b.*?</\1>", "", html, flags=re.S))

    assert shown(html_compact(SOURCE)) == shown(SOURCE)


def test_a_template_is_read_compacted_and_renders_the_same(settings) -> None:
    engine = engines["django"]
    source = "<p>\n    {{ a }}\n        <b>{{ b }}</b>\n</p>\n"
    from_source = engine.from_string(source).render({"a": 1, "b": 2})
    from_compact = engine.from_string(html_compact(source)).render({"a": 1, "b": 2})

    assert from_compact == "<p>\n1\n<b>2</b>\n</p>\n"
    assert re.sub(r"\s+", " ", from_compact) == re.sub(r"\s+", " ", from_source)


def test_project_and_app_templates_come_compacted() -> None:
    # The site shell (templates/) and an app's template (the admin's) are both read through the loaders.
    shell = engines["django"].engine.get_template("base.html").source
    admin = engines["django"].engine.get_template("admin/base.html").source

    for source in (shell, admin):
        outside = re.sub(r"<(pre|textarea|script)\b.*?</\1\s*>", "", source, flags=re.S | re.I)
        assert not re.search(r"^[ \t]+\S", outside, re.MULTILINE)


def test_plain_text_templates_are_left_alone(tmp_path, settings) -> None:
    (tmp_path / "note.txt").write_text("Hello\n    indented\n")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path]},
    ]

    assert render_to_string("note.txt") == "Hello\n    indented\n"


@pytest.mark.django_db
def test_a_module_page_has_no_indentation_left(client: Client) -> None:
    module = ModuleFactory(course=CourseFactory(slug="compact"))
    LessonFactory(module=module)

    html = client.get(module.get_absolute_url()).content.decode()

    outside = re.sub(r"<(pre|textarea|script)\b.*?</\1\s*>", "", html, flags=re.S | re.I)
    assert not re.search(r"^[ \t]{2,}<", outside, re.MULTILINE)
