"""The strict pydantic base every spec model shares."""

from __future__ import annotations

import ast
import inspect
import sys
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo


@cache
def attribute_docstrings(source_file: str) -> dict[str, dict[str, str]]:
    """The docstring under each annotated attribute of every class in a module, by class ``__qualname__``.

    The rule is pydantic's ``use_attribute_docstrings``: a string statement right after ``name: type``
    (or ``name: type = value``) in the class's own body. One parse of the module serves all its classes.
    """
    docs: dict[str, dict[str, str]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        # Statements only, in every block (a class may sit in an ``if`` or a ``with``); a class or a
        # function starts a new ``__qualname__`` prefix, other blocks keep theirs.
        for block in _BLOCKS:
            for child in getattr(node, block, ()):
                if isinstance(child, ast.ClassDef):
                    qualname = prefix + child.name
                    docs.setdefault(qualname, {}).update(_class_docs(child))
                    visit(child, qualname + ".")
                elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(child, f"{prefix}{child.name}.<locals>.")
                else:
                    visit(child, prefix)

    try:
        tree = ast.parse(Path(source_file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return {}  # no readable source (e.g. bytecode only): no descriptions, as pydantic then
    visit(tree, "")
    return docs


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
"""The fields of an AST node that hold statements (or ``except``/``case`` clauses holding them)."""


def _class_docs(node: ast.ClassDef) -> dict[str, str]:
    """The docstring under each annotated attribute in the class's own body."""
    docs: dict[str, str] = {}
    for before, statement in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(before, ast.AnnAssign)
            and isinstance(before.target, ast.Name)
            and isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            docs[before.target.id] = inspect.cleandoc(statement.value.value)
    return docs


class SpecModel(BaseModel):
    """Base of all spec models.

    Strict so a preset that says ``epochs = "20"`` or ``shuffle = 1`` is an error rather than a guess,
    frozen-free so forms can edit copies, and without NaN/inf so a typo never trains for hours.

    A field's description is the docstring under it (as pydantic's ``use_attribute_docstrings`` does),
    read here from one parse of each module: pydantic's own reading walks the stack and tokenizes each
    class's source again, a third of the time importing the spec took (0.09 s of the dashboard's start).
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        validate_assignment=True,
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Runs before pydantic collects the fields (it reads their defaults from the class): each
        # documented field gets its docstring as its description (a Field(...) with one keeps its own).
        super().__init_subclass__(**kwargs)
        module = sys.modules.get(cls.__module__)
        source_file = getattr(module, "__file__", None)
        if not source_file:
            return
        docs = attribute_docstrings(source_file).get(cls.__qualname__, {})
        own = cls.__dict__
        for name, doc in docs.items():
            if name.startswith("_") or name not in own.get("__annotations__", {}):
                continue
            if "ClassVar" in str(own["__annotations__"][name]):
                continue
            if name not in own:
                setattr(cls, name, Field(description=doc))
            elif not isinstance(own[name], FieldInfo):
                setattr(cls, name, Field(own[name], description=doc))
            elif own[name].description is None:
                # pydantic has no public way to add one setting to a Field(...): the spec writes its
                # description there (as every Field(...) of the spec does) instead of under it.
                raise TypeError(f"{cls.__qualname__}.{name}: move the docstring into Field(..., description=...)")
