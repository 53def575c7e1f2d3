"""Text as people paste it: control characters out at input, and never a crash at output.

Word's Shift+Enter is a vertical tab (``\\x0b``), a page break a form feed (``\\x0c``); text
copied out of other programs carries the rest of the C0 control characters now and then, and
the C1 ones (U+0080–U+009F, from text that went through the wrong code page), DEL, zero-width
spaces and byte-order marks, which nobody sees but which split a search or a name. XML (and so
XLSX, and the PDF's tagged structure) cannot hold the C0 ones. At input a vertical tab, form
feed, next-line (U+0085) or Unicode line or paragraph separator becomes a line break, and every
other control character except tab, line feed and carriage return is removed, with U+200B and
U+FEFF (zero-width joiners, which scripts and emoji need, are kept); at output anything already
stored that a format cannot hold is dropped the same way, so an old record never takes an
export down.
"""

from __future__ import annotations

import re
from typing import Any

_BREAKS = "\x0b\x0c\x85\u2028\u2029"
_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
_REMOVED = "".join(chr(code) for code in _CONTROLS if chr(code) not in "\t\n\r" + _BREAKS) + "\u200b\ufeff"
_INPUT_TABLE = {**dict.fromkeys(map(ord, _BREAKS), "\n"), **dict.fromkeys(map(ord, _REMOVED), None)}
_CONTROL = re.compile(f"[{re.escape(_BREAKS + _REMOVED)}]")
# What XML 1.0 cannot hold besides the C0 controls: lone surrogates and U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Text as typed or imported, fit to store: vertical tab, form feed, next-line and the Unicode
    line and paragraph separators → line break; other C0 and C1 control characters (not tab,
    line feed, carriage return), DEL, zero-width space and byte-order mark removed."""
    if not _CONTROL.search(text):
        return text
    return text.translate(_INPUT_TABLE)


def clean_value(value: Any) -> Any:
    """clean_text for a string; anything else as it is."""
    return clean_text(value) if isinstance(value, str) else value


def xml_safe(text: str) -> str:
    """Text that any export format can hold: clean_text, and no lone surrogate, U+FFFE or U+FFFF."""
    return _NOT_XML.sub("", clean_text(text))
