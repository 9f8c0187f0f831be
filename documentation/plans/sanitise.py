"""A small allow-list HTML sanitiser for plan descriptions (standard library only).

Kept: ``p br strong em ul ol li h2 h3 h4`` without attributes, and ``a`` with an ``href`` whose
scheme is http, https or mailto (given ``rel="noopener noreferrer nofollow"``). Everything else
goes: other tags are dropped but their text is kept; ``script``, ``style`` and the other
containers below are dropped *with* their content; comments, doctypes and processing
instructions vanish; every attribute but ``a href`` is removed (so no ``on*`` handlers, no
``style``). Text is re-escaped, tags are balanced, and the output is stable: sanitising it again
gives the same string.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "a"})
VOID_TAGS = frozenset({"br"})
# Dropped together with everything inside them.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "iframe",
        "object",
        "embed",
        "noscript",
        "svg",
        "math",
        "head",
        "title",
        "textarea",
        "select",
    }
)
# Opening one of these closes an open <p> first (a paragraph holds no blocks), as browsers do.
CLOSES_PARAGRAPH = frozenset({"p", "ul", "ol", "h2", "h3", "h4"})
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Browsers ignore these inside a URL's scheme ("java\tscript:"); so do we, before checking it.
_IGNORED_IN_URL: dict[int, None] = dict.fromkeys([*range(0x00, 0x21), 0x7F])


def safe_href(value: str | None) -> str | None:
    """The link target if its scheme is allowed (http, https, mailto), else None."""
    if not value:
        return None
    compact = value.translate(_IGNORED_IN_URL)
    try:
        scheme = urlsplit(compact).scheme.lower()
    except ValueError:
        return None
    if scheme not in LINK_SCHEMES or compact.lower() in {f"{s}:" for s in LINK_SCHEMES}:
        return None
    return value.strip()


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # allowed tags written and not yet closed
        self.skipping: list[str] = []  # dropped containers we are inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in DROPPED_WITH_CONTENT:
            if tag in DROPPED_WITH_CONTENT:
                self.skipping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        self._close_implied(tag)
        if tag == "a":
            href = safe_href(dict(attrs).get("href"))
            if href is None:
                return  # the link goes, its text stays
            self.out.append(f'<a href="{escape(href, quote=True)}" rel="{LINK_REL}">')
        else:
            self.out.append(f"<{tag}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def _close_implied(self, tag: str) -> None:
        """<li>a<li>b and <p>a<p>b: the new item or paragraph ends the previous one."""
        if tag in CLOSES_PARAGRAPH and "p" in self.open:
            self._close_to("p")
        elif tag == "li":
            lists = [i for i, name in enumerate(self.open) if name in {"ul", "ol"}]
            since = lists[-1] + 1 if lists else 0
            if "li" in self.open[since:]:
                self._close_to("li")

    def _close_to(self, tag: str) -> None:
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                break

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            return  # <script/> opens nothing
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in self.open:
            self._close_to(tag)
        # else: a stray end tag, or the end of a dropped tag

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data.replace("\x00", ""), quote=False))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()
        return "".join(self.out)


def sanitise_html(value: str) -> str:
    """``value`` with only the allowed tags and links left (see the module's docstring)."""
    if not value:
        return ""
    parser = _Sanitiser()
    parser.feed(value)
    return parser.result().strip()
