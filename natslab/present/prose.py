"""Lesson prose as it is written, with Markdown's **strong**, *emphasis* and `code`, as rich
Text for a terminal and as HTML for a report: parsed by markdown-it-py (rich's own parser,
with raw HTML off), so a marker is never printed as it was typed."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup
from rich.text import Text

_INLINE = MarkdownIt("zero").enable(["emphasis", "backticks"])  # "zero": no HTML, no links
_STYLES = {"strong_open": "bold", "em_open": "italic"}
CODE_STYLE = "cyan"


def as_html(text: str) -> Markup:
    """One paragraph of lesson prose as HTML: its text escaped, its spans marked up."""
    return Markup(_INLINE.renderInline(text).strip())


def as_text(text: str, style: str = "") -> Text:
    """One paragraph of lesson prose as rich Text, its spans styled, never read as markup."""
    out = Text(style=style)
    open_styles: list[str] = []
    for block in _INLINE.parseInline(text):
        for token in block.children or []:
            if token.type in _STYLES:
                open_styles.append(_STYLES[token.type])
            elif token.type.endswith("_close") and open_styles:
                open_styles.pop()
            elif token.type == "code_inline":
                out.append(token.content, style=CODE_STYLE)
            elif token.type in ("softbreak", "hardbreak"):
                out.append(" ")
            else:
                out.append(token.content, style=" ".join(open_styles))
    return out
