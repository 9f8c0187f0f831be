"""Skolverket's rich-text fields (HTML fragments) as plain-text blocks.

Built on the standard library's ``html.parser``: nothing is ever rendered or trusted, tags are
dropped, character references decoded, whitespace collapsed, and the content of ``script`` and
``style`` elements discarded. The fragment is read as a flat sequence of blocks:

- ``heading``: ``h1``-``h6``, and a paragraph whose only text is bold (``<p><strong>Algebra
  </strong></p>``, how GY course plans title their sections);
- ``paragraph``: ``p``/``div`` and text outside any block;
- ``item``: one ``li``; text of blocks nested inside an item belongs to the item, a nested list's
  items are items of their own (in document order).

Unclosed tags are tolerated: a new block ends the open paragraph, the end of the input ends all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

BlockKind = Literal["heading", "paragraph", "item"]

_WHITESPACE = re.compile(r"\s+")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_PARAGRAPHS = frozenset({"p", "div", "blockquote", "section", "article", "dd", "dt", "td", "th"})
_BREAKS = _HEADINGS | _PARAGRAPHS | {"ul", "ol", "tr"}
_BOLD = frozenset({"strong", "b"})
_SKIPPED = frozenset({"script", "style", "template", "noscript"})


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str


def clean(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block | None] = []  # None: an item's place, filled when it closes
        self._items: list[tuple[int, list[str]]] = []  # open li: (place, text parts)
        self._block: tuple[BlockKind, list[str]] | None = None  # open heading/paragraph
        self._bold_depth = 0
        self._plain_text_in_block = False  # non-bold text seen in the open paragraph
        self._skip_depth = 0

    # -- text ---------------------------------------------------------------------------------

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._items:
            self._items[-1][1].append(data)
            return
        if self._block is None:
            if not data.strip():
                return
            self._open_block("paragraph")
        assert self._block is not None
        self._block[1].append(data)
        if data.strip() and not self._bold_depth:
            self._plain_text_in_block = True

    # -- tags ---------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif self._skip_depth:
            return
        elif tag == "li":
            self._close_block()
            self.blocks.append(None)
            self._items.append((len(self.blocks) - 1, []))
        elif tag in _BOLD:
            self._bold_depth += 1
        elif tag == "br" or (self._items and tag in _BREAKS):
            self.handle_data(" ")  # keeps "a<p>b" inside an item two words
        elif not self._items and (tag in _HEADINGS or tag in _PARAGRAPHS):
            self._close_block()
            self._open_block("heading" if tag in _HEADINGS else "paragraph")
        elif not self._items and tag in {"ul", "ol", "table", "tr"}:
            self._close_block()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif self._skip_depth:
            return
        elif tag == "li" and self._items:
            place, parts = self._items.pop()
            self.blocks[place] = Block("item", clean("".join(parts)))
        elif tag in _BOLD:
            self._bold_depth = max(0, self._bold_depth - 1)
        elif self._items and tag in _BREAKS:
            self.handle_data(" ")
        elif not self._items and (tag in _HEADINGS or tag in _PARAGRAPHS):
            self._close_block()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self._skip_depth:
            self.handle_data(" ")

    # -- blocks -------------------------------------------------------------------------------

    def _open_block(self, kind: BlockKind) -> None:
        self._block = (kind, [])
        self._plain_text_in_block = False

    def _close_block(self) -> None:
        if self._block is None:
            return
        kind, parts = self._block
        text = clean("".join(parts))
        if text:
            if kind == "paragraph" and not self._plain_text_in_block:
                kind = "heading"  # <p><strong>Section</strong></p>
            self.blocks.append(Block(kind, text))
        self._block = None

    def finish(self) -> list[Block]:
        self.close()
        self._close_block()
        while self._items:  # unclosed <li>
            place, parts = self._items.pop()
            self.blocks[place] = Block("item", clean("".join(parts)))
        return [block for block in self.blocks if block is not None and block.text]


def html_blocks(html: object) -> list[Block]:
    """The fragment's headings, paragraphs and list items, in document order (none for
    anything but a string)."""
    if not isinstance(html, str) or not html:
        return []
    collector = _Collector()
    collector.feed(html)
    return collector.finish()


def html_to_text(html: object) -> str:
    """Plain text: blocks separated by a blank line, list items as "- " lines."""
    lines: list[str] = []
    previous: BlockKind | None = None
    for block in html_blocks(html):
        if lines and not (block.kind == "item" and previous == "item"):
            lines.append("")
        lines.append(f"- {block.text}" if block.kind == "item" else block.text)
        previous = block.kind
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class SectionedItem:
    section: str
    text: str


def html_list_items(html: object) -> list[SectionedItem]:
    """The list items of a central-content fragment, each with the heading it stands under.

    A fragment without any list is read as one item per paragraph.
    """
    blocks = html_blocks(html)
    wanted: set[BlockKind] = (
        {"item"} if any(b.kind == "item" for b in blocks) else {"paragraph", "item"}
    )
    section = ""
    items: list[SectionedItem] = []
    for block in blocks:
        if block.kind == "heading" or (block.kind == "paragraph" and "paragraph" not in wanted):
            section = block.text
        if block.kind in wanted:
            items.append(SectionedItem(section, block.text))
    return items
