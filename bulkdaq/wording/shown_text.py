"""Text written by someone else, shown to a person so that it cannot pass for anything else.

A reason, an actor, an officer's name or a document's kind comes from a terminal, a card or a push: it
may hold a line break that starts a fake line of output, a right-to-left override that turns a name
around, or a zero-width character that makes two names look alike. `shown` writes every such character
as a visible escape (``\\n``, ``\\u202e``), and leaves every other character, Chinese included, as it is.
"""

from __future__ import annotations

import unicodedata

# Control (Cc), format (Cf: bidi overrides, zero-width characters), line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """`text` with every control, format and line-separating character written as an escape."""
    if not any(unicodedata.category(char) in HIDDEN_CATEGORIES for char in text):
        return text
    return "".join(
        _NAMED.get(char, f"\\u{ord(char):04x}") if unicodedata.category(char) in HIDDEN_CATEGORIES else char for char in text
    )


def hidden_characters(text: str) -> list[str]:
    """The control, format and line-separating characters in `text`, as escapes (empty: none)."""
    return [shown(char) for char in text if unicodedata.category(char) in HIDDEN_CATEGORIES]


__all__ = ["HIDDEN_CATEGORIES", "hidden_characters", "shown"]
