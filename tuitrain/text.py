"""Terminal-safe text: what a file says, shown so that it cannot steer the terminal.

Preset names and descriptions, run folder names, experiment names, npz keys, messages in event logs
and trainer output all come from files anyone may have written. Printed raw, an ESC sequence in such a
text can retitle the terminal, clear the screen or move the cursor; a bidirectional override can make
it read backwards. :func:`printable` shows every such character as a visible escape (``\\x1b``,
``\\u202e``), the way ``git`` quotes an odd file name, so the text stays readable and nothing in it
is executed. Markup (Rich's ``[bold]``) is a separate matter: the CLI prints with ``markup=False`` or
:class:`rich.text.Text`, the dashboard with ``Text``/``Content`` or ``markup=False``.

Pure Python: the dashboard, the CLI and the trainer's log all use it.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls, DEL, C1 controls, and the Unicode formatting characters that reorder or hide text
# (bidirectional embeddings, overrides and isolates; line/paragraph separators end lines in some
# terminals). Tab and newline are handled by the callers' choice (``keep``).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object, *, keep: str = "") -> str:
    """``text`` with every control character shown as a visible escape (``ESC`` -> ``\\x1b``).

    ``keep``: control characters to leave as they are, e.g. ``"\\n\\t"`` for multi-line text.
    A backslash itself is left alone: the result is for reading, not for parsing back.
    """
    value = str(text)
    if not _UNSAFE.search(value):
        return value  # the common case, at the cost of one scan
    if keep:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), value)
    return _UNSAFE.sub(_escape, value)


def printable_lines(text: object) -> str:
    """:func:`printable` for multi-line text: newlines and tabs stay, every other control is escaped."""
    return printable(text, keep="\n\t")


def toml_printable(toml_text: str) -> str:
    """TOML text (as ``tomli_w`` writes it) with the controls it leaves raw written as ``\\uXXXX`` escapes.

    ``tomli_w`` escapes C0 controls in strings but not C1 controls or bidirectional overrides; inside a
    TOML string ``\\uXXXX`` means the same character, so the output still reads back unchanged.
    """
    return _UNSAFE.sub(lambda m: m.group() if m.group() in "\n\t" else f"\\u{ord(m.group()):04x}", toml_text)


def has_control(text: str, *, allowed: str = "") -> bool:
    """True when ``text`` holds a character :func:`printable` would escape (other than ``allowed``)."""
    return any(ch not in allowed for ch in _UNSAFE.findall(text))


def ascii_fold(text: str) -> str:
    """``text`` with accents dropped and letters spelled in ASCII where Unicode says how ("Köln" ->
    "Koln", "größe" -> "grosse"); characters with no ASCII spelling (emoji, CJK, "ø") are kept."""
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            continue
        if ch.isascii():
            out.append(ch)
            continue
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch.casefold()) if not unicodedata.combining(c))
        out.append(folded if folded.isascii() else ch)
    return "".join(out)


_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")


def identifier(name: str, fallback: str = "model", max_length: int = 60) -> str:
    """An ASCII name for a display name, safe where a program's names are restricted (Keras and
    TensorFlow scope names must match ``[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*``): letters, digits and
    ``_``, starting with a letter or digit; ``fallback`` when nothing of ``name`` is left."""
    cleaned = _NOT_IDENTIFIER.sub("_", ascii_fold(name)).strip("_")[:max_length].rstrip("_")
    return cleaned or fallback
