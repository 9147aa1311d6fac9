"""The one HTML sanitiser (course articles, and the HTML of imported Moodle questions) and its text reading.

It lives in core because both training (articles) and question_bank (GIFT
``[html]`` questions) use it, and question_bank sits below training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

ARTICLE_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "ul", "ol", "li",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "img", "figure", "figcaption", "hr",
}  # fmt: skip


ARTICLE_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"}}


def sanitize_html(html: str) -> str:
    """Allow-list sanitising (nh3/ammonia): scripts, event handlers, styles
    and javascript: URLs are dropped, links get rel=noopener."""
    return nh3.clean(
        html,
        tags=ARTICLE_TAGS,
        attributes=ARTICLE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


@dataclass
class HtmlText:
    """What ``html_to_text`` read: the text, and what plain text cannot carry."""

    text: str
    images: list[str] = field(default_factory=list)  # src of each <img>
    links: list[str] = field(default_factory=list)  # href of each <a>


_BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "figcaption", "table"}
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.found = HtmlText("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "br":
            self.parts.append("\n")
        elif tag == "img":
            self.found.images.append(values.get("src") or "")
            alt = values.get("alt")
            if alt:
                self.parts.append(alt)
        elif tag == "a" and values.get("href"):
            self.found.links.append(values["href"] or "")
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # HTML collapses runs of white space; only <br> and block ends break lines.
        # A no-break space is a plain space once the text is no longer HTML.
        self.parts.append(_SPACES.sub(" ", data).replace("\xa0", " "))


def html_to_text(html: str) -> HtmlText:
    """Sanitise ``html`` with the article allow-list, then read it as plain text
    (block ends and ``<br>`` become line breaks, entities are decoded)."""
    reader = _TextReader()
    reader.feed(sanitize_html(html))
    reader.close()
    lines = [line.strip() for line in "".join(reader.parts).split("\n")]
    reader.found.text = "\n".join(line for line in lines if line)
    return reader.found
