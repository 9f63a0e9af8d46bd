"""Turn an article's plain text into safe HTML: paragraphs, headings, lists, links and bold.

Authors write a small Markdown-like subset; they never write HTML. Every piece of their
text is escaped before it is placed between the few tags this module writes itself, and a
link keeps its address only when it is http(s), mailto, tel or a path on this site, so no
article can carry a script, an event handler or a `javascript:` link to a customer.

    ## A heading            (also "# " and "### "; the page title is the only <h1>)
    - an item               (or "* "; "1. " for a numbered list)
    **bold**  [text](https://example.com)  https://example.com
"""

from __future__ import annotations

import re
from html import escape

from django.utils.safestring import SafeString, mark_safe

_HEADING = re.compile(r"^(#{1,3})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}(\d{1,9})[.)]\s+(.*)$")
_CONTINUATION = re.compile(r"^\s{2,}\S")
_INLINE = re.compile(
    r"\*\*(?P<bold>\S(?:.*?\S)?)\*\*"
    r"|\[(?P<text>[^\[\]\n]+)\]\((?P<url>[^()\s]+)\)"
    r"|(?P<bare>https?://[^\s<>\"'`]+)",
)
_SAFE_ABSOLUTE = re.compile(r"^(?:https?://[^/\\\s]|mailto:[^\s]|tel:[+\d(])", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]'\""
# The first heading of an article is an <h2>: the page's <h1> is the title.
_HEADING_TAGS = {1: "h2", 2: "h3", 3: "h4"}
# Control characters and the bidirectional overrides that could disguise an address.
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def safe_url(url: str) -> str | None:
    """Return `url` if a link may point there (http, https, mailto, tel, a path here), else None."""
    if not url or _UNSAFE_CHARS.search(url) or "\\" in url:
        return None
    if _SAFE_ABSOLUTE.match(url):
        return url
    if url.startswith("#") or (url.startswith("/") and not url.startswith("//")):
        return url
    return None


def _link(href: str, text_html: str) -> str:
    external = href.lower().startswith(("http://", "https://"))
    rel = ' rel="nofollow noopener"' if external else ""
    return f'<a href="{escape(href, quote=True)}"{rel}>{text_html}</a>'


def _split_trailing(url: str) -> tuple[str, str]:
    """Leave a sentence's full stop or closing bracket outside a bare address."""
    end = len(url)
    while end > 0 and url[end - 1] in _TRAILING_PUNCTUATION:
        if url[end - 1] == ")" and url[:end].count("(") >= url[:end].count(")"):
            break
        end -= 1
    return url[:end], url[end:]


def render_inline(text: str, *, in_bold: bool = False) -> str:
    """Return the HTML of one line of text: escaped, with bold and links."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[position:match.start()], quote=False))
        position = match.end()
        if match.group("bold") is not None:
            if in_bold:
                out.append(escape(match.group(0), quote=False))
            else:
                out.append(f"<strong>{render_inline(match.group('bold'), in_bold=True)}</strong>")
        elif match.group("url") is not None:
            href = safe_url(match.group("url"))
            label = escape(match.group("text"), quote=False)
            out.append(_link(href, label) if href else escape(match.group(0), quote=False))
        else:
            url, rest = _split_trailing(match.group("bare"))
            out.append(_link(url, escape(url, quote=False)) if safe_url(url) else escape(url, quote=False))
            out.append(escape(rest, quote=False))
    out.append(escape(text[position:], quote=False))
    return "".join(out)


def _blocks(lines: list[str]) -> list[tuple[str, list[str], int]]:
    """Group lines into (kind, lines, start) blocks: paragraph, heading level, ul or ol."""
    blocks: list[tuple[str, list[str], int]] = []
    for line in lines:
        if not line.strip():
            blocks.append(("blank", [], 0))
            continue
        last = blocks[-1] if blocks else ("blank", [], 0)
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if heading:
            blocks.append((f"h{len(heading.group(1))}", [heading.group(2)], 0))
        elif bullet:
            if last[0] == "ul":
                last[1].append(bullet.group(1))
            else:
                blocks.append(("ul", [bullet.group(1)], 0))
        elif numbered:
            if last[0] == "ol":
                last[1].append(numbered.group(2))
            else:
                blocks.append(("ol", [numbered.group(2)], int(numbered.group(1))))
        elif last[0] in {"ul", "ol"} and _CONTINUATION.match(line):
            last[1][-1] = f"{last[1][-1]} {line.strip()}"
        elif last[0] == "p":
            last[1].append(line.strip())
        else:
            blocks.append(("p", [line.strip()], 0))
    return [b for b in blocks if b[0] != "blank"]


def render_body(text: str) -> SafeString:
    """Return the safe HTML of an article's text."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    html: list[str] = []
    for kind, items, start in _blocks(lines):
        if kind == "p":
            html.append("<p>" + "<br>".join(render_inline(line) for line in items) + "</p>")
        elif kind in {"ul", "ol"}:
            opening = f'<ol start="{start}">' if kind == "ol" and start != 1 else f"<{kind}>"
            html.append(opening + "".join(f"<li>{render_inline(item)}</li>" for item in items) + f"</{kind}>")
        else:
            tag = _HEADING_TAGS[int(kind[1])]
            html.append(f"<{tag}>{render_inline(items[0])}</{tag}>")
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of author text above is escaped


_LINK_TEXT = re.compile(r"\[([^\[\]\n]+)\]\([^()\s]+\)")
_MARKERS = re.compile(r"^(?:#{1,3}\s+|\s{0,3}[-*+]\s+|\s{0,3}\d{1,9}[.)]\s+)", re.MULTILINE)


def plain_text(text: str) -> str:
    """Return the text without its markup, on one line (for summaries, snippets and search)."""
    without = _MARKERS.sub("", _LINK_TEXT.sub(r"\1", text or "")).replace("**", "")
    return " ".join(without.split())


def excerpt(text: str, length: int = 200) -> str:
    """Return the start of the plain text, cut at a word and marked with "…" when cut."""
    plain = plain_text(text)
    if len(plain) <= length:
        return plain
    cut = plain[:length].rsplit(" ", 1)[0] or plain[:length]
    return cut.rstrip(",;:.") + "…"
