"""Article text becomes safe HTML: the small markup works, and nothing an author types can run."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kliyan.knowledge.rendering import excerpt, plain_text, render_body, safe_url

ALLOWED_TAGS = {"p", "br", "strong", "a", "ul", "ol", "li", "h2", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}}


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


def test_paragraphs_line_breaks_headings_and_lists() -> None:
    text = "## Delivery\nFirst line\nsecond line\n\n- one\n- **two**\n\n3. third\n4. fourth\n\n1. a\n   continued"
    assert str(render_body(text)) == (
        "<h3>Delivery</h3>\n<p>First line<br>second line</p>\n<ul><li>one</li><li><strong>two</strong></li></ul>\n"
        '<ol start="3"><li>third</li><li>fourth</li></ol>\n<ol><li>a continued</li></ol>'
    )


def test_links_bold_and_bare_addresses() -> None:
    html = str(render_body("See [our **terms**](https://shop.example/terms?a=1&b=2), https://kliyan.org. Or [mail](mailto:help@shop.example)."))
    assert '<a href="https://shop.example/terms?a=1&amp;b=2" rel="nofollow noopener">our **terms**</a>' in html
    assert '<a href="https://kliyan.org" rel="nofollow noopener">https://kliyan.org</a>.' in html
    assert '<a href="mailto:help@shop.example">mail</a>' in html


def test_a_link_to_a_page_of_this_site_stays_relative() -> None:
    assert '<a href="/kb/fr/delais-de-livraison/">délais</a>' in str(render_body("[délais](/kb/fr/delais-de-livraison/)"))


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '[click](javascript:alert(1))',
    "[click](JaVaScRiPt:alert`1`)",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](//evil.example/)",
    "[click](/\\evil.example/)",
    '[x](https://ok.example/" onmouseover="alert(1))',
    "**<b onclick=alert(1)>bold</b>**",
    "https://ok.example/\"><script>alert(1)</script>",
    "[a](vbscript:msgbox)",
])
def test_author_text_never_becomes_markup_or_a_dangerous_link(text: str) -> None:
    html = str(render_body(text))
    for tag, attributes in tags_of(html):
        assert tag in ALLOWED_TAGS, html
        for name, value in attributes:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), html
            if name == "href":
                assert safe_url(value or "") == value and not value.lower().startswith(("javascript", "data", "vbscript", "//")), html
    assert "<script" not in html and "<img" not in html and "<b " not in html


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab <>&\"'*[]()#-1.:/\\\njJsS=", "javascript:", "https://", "**", "](", "\n\n", "- "]), max_size=60))
def test_any_text_renders_only_the_allowed_tags_and_safe_links(pieces: list[str]) -> None:
    html = str(render_body("".join(pieces)))
    for tag, attributes in tags_of(html):
        assert tag in ALLOWED_TAGS
        for name, value in attributes:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set())
            if name == "href":
                assert safe_url(value or "") == value


@pytest.mark.parametrize(("url", "safe"), [
    ("https://a.example/x", True), ("http://a.example", True), ("mailto:a@b.example", True), ("tel:+50937123456", True),
    ("/kb/en/x/", True), ("#top", True), ("javascript:alert(1)", False), ("//evil.example", False),
    ("https:evil", False), ("/\\evil.example", False), ("https://a.example/\u202egpj.exe", False), ("ftp://x", False),
])
def test_safe_url_accepts_only_web_mail_phone_and_local_addresses(url: str, safe: bool) -> None:
    assert (safe_url(url) is not None) is safe


def test_plain_text_and_excerpt_drop_the_markup() -> None:
    text = "## Title\n- **Bold** item with [a link](https://x.example)\n\n1. step"
    assert plain_text(text) == "Title Bold item with a link step"
    long = "word " * 100
    cut = excerpt(long, 30)
    assert cut.endswith("…") and len(cut) <= 31 and "  " not in cut
    assert excerpt("Short.", 30) == "Short."
