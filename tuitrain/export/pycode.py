"""Writing Python source text: literals and calls laid out as a formatter would (black/ruff style)."""

from __future__ import annotations

from dataclasses import dataclass

LINE_WIDTH = 100
"""Longest line the exported script should have (calls are split one argument per line above it)."""
INDENT = "    "


@dataclass(frozen=True)
class Code:
    """Python source that goes into the script as it is (an expression, not a literal)."""

    text: str

    def __str__(self) -> str:
        return self.text


def literal(value: object) -> str:
    """``value`` as Python source: floats keep their full precision, ``Code`` is used as written."""
    if isinstance(value, Code):
        return value.text
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return repr(value)  # repr is the shortest text that reads back as the same float
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list | tuple):
        items = ", ".join(literal(v) for v in value)
        return f"[{items}]" if isinstance(value, list) else f"({items}{',' if len(value) == 1 else ''})"
    raise TypeError(f"no Python literal for {value!r}")


def string(text: str) -> str:
    """A string literal in double quotes, as formatters write them (single quotes when it holds a ")."""
    text_repr = repr(text)
    if text_repr.startswith("'") and '"' not in text:
        return '"' + text_repr[1:-1] + '"'  # repr escaped nothing that double quotes would need
    return text_repr


def call(func: str, *args: object, indent: int = 0, **kwargs: object) -> str:
    """``func(args, key=value, ...)``: one line when it fits, else one argument per line.

    ``indent`` is the nesting level of the line the call starts on (4 spaces each); the returned text
    has no leading indentation on its first line.
    """
    parts = [literal(a) for a in args] + [f"{k}={literal(v)}" for k, v in kwargs.items()]
    one_line = f"{func}({', '.join(parts)})"
    if len(INDENT * indent) + len(one_line) <= LINE_WIDTH and "\n" not in one_line:
        return one_line
    inner = INDENT * (indent + 1)
    body = "".join(f"{inner}{shift(part, indent + 1)},\n" for part in parts)
    return f"{func}(\n{body}{INDENT * indent})"


def shift(text: str, indent: int) -> str:
    """Multi-line source written for nesting level 0, its continuation lines moved ``indent`` levels in."""
    lines = text.split("\n")
    return "\n".join([lines[0], *(INDENT * indent + line if line.strip() else line for line in lines[1:])])


def comment(text: str, indent: int = 0) -> str:
    """``text`` as ``#`` comment lines wrapped to the line width (no trailing newline)."""
    prefix = INDENT * indent + "# "
    width = LINE_WIDTH - len(prefix)
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return "\n".join(prefix + line for line in lines)
