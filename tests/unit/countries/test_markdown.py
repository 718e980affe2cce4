"""Countries' Markdown rendered safe: hostile input comes out inert; references to
framework items and indicators are found per action and checked."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from jinja2 import Environment
from markupsafe import Markup

from alliance.countries.markdown import check_references, references, render
from alliance.errors import InvalidInput

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '![x" onerror="alert(1)](http://example.test/a.png)',
    "<iframe src=https://example.test></iframe>",
    "<div onmouseover=alert(1)>hover</div>",
    "[x]: javascript:alert(1)\n\n[y][x]",
    "[[<script>alert(1)</script>]]",
    "<style>body{}</style>",
]


class Tags(HTMLParser):
    """Every element and attribute of rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


ALLOWED_TAGS = {"p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "span", "br", "hr"}
ALLOWED_ATTRIBUTES = {"href", "title", "rel", "class"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_inert(text: str) -> None:
    parser = Tags()
    parser.feed(str(render(text)))
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, (tag, text)
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (attrs, text)
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("http://", "https://", "mailto:")), (href, text)


def test_safe_links_and_formatting_survive() -> None:
    html = str(
        render(
            "**bold** and [site](https://example.test/a?b=1&c=2) and [mail](mailto:x@example.test)"
            " and [plain](http://example.test)"
        )
    )
    assert "<strong>bold</strong>" in html
    assert (
        '<a href="https://example.test/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">' in html
    )
    assert 'href="mailto:x@example.test"' in html and 'href="http://example.test"' in html


def test_relative_and_other_schemes_stay_text() -> None:
    assert "<a" not in str(render("[r](/admin) [f](ftp://example.test) [t](tel:123)"))


def test_output_is_markup_left_alone_by_autoescape() -> None:
    out = render("<b>x</b> *y*")
    assert isinstance(out, Markup)
    page = Environment(autoescape=True).from_string("{{ body }}").render(body=out)
    assert page == str(out)
    assert "&lt;b&gt;x&lt;/b&gt; <em>y</em>" in page


def test_references_are_found_per_action_and_shown_by_title() -> None:
    text = (
        "- hotline runs [[mnr2015.cap.12]]\n"
        "  - sub-point [[indicator:takedown.median_hours]]\n"
        "- awareness [[ga2012.goal.5]] [[indicator:library.reuse]]\n\n"
        "A closing paragraph [[ga2012.target.1]]"
    )
    found = [(r.action, r.kind, r.ref) for r in references(text)]
    assert found == [
        (1, "framework", "mnr2015.cap.12"),
        (1, "indicator", "takedown.median_hours"),
        (2, "framework", "ga2012.goal.5"),
        (2, "indicator", "library.reuse"),
        (3, "framework", "ga2012.target.1"),
    ]
    html = str(render(text))
    assert 'title="mnr2015.cap.12"' in html and "[[" not in html
    assert "Identify and protect victims" in html


def test_unknown_item_or_bad_indicator_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_references("- x [[mnr2015.cap.99]]", field="committed")
    assert caught.value.field == "committed" and "mnr2015.cap.99" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        check_references("- x [[indicator:Bad Id!]]", field="progress")
    assert caught.value.field == "progress"
    assert check_references("[[not a reference]] text", field="baseline") == []
