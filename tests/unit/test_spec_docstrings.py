"""A spec field's description is the docstring under it, read by tuitrain.spec.base from one parse of
each module (pydantic's ``use_attribute_docstrings`` walked the stack and tokenized every class again:
a third of the time importing the spec took, issue 14's first frame)."""

from __future__ import annotations

from typing import Annotated, ClassVar

import pytest
from pydantic import Field
from pydantic._internal._docs_extraction import extract_docstrings_from_cls

import tuitrain.spec  # noqa: F401  (every spec model defined)
from tuitrain.spec.base import SpecModel


def spec_models() -> list[type[SpecModel]]:
    found: list[type[SpecModel]] = []
    todo = [SpecModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("tuitrain.") and sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


@pytest.mark.parametrize("model", spec_models(), ids=lambda m: m.__qualname__)
def test_every_documented_spec_field_has_its_docstring_as_description(model: type[SpecModel]) -> None:
    # pydantic's own reading of the class's source is the reference.
    expected = extract_docstrings_from_cls(model, use_inspect=True)
    fields = model.model_fields
    assert {name: fields[name].description for name in expected if name in fields} == {
        name: doc for name, doc in expected.items() if name in fields
    }


def test_every_shape_of_field_takes_its_docstring_and_keeps_its_settings() -> None:
    class Shapes(SpecModel):
        plain: int = 3
        """A plain default.

        Second paragraph."""
        required: str
        """No default."""
        bounded: Annotated[int, Field(ge=1)] = 2
        """Bounds in the annotation."""
        explicit: int = Field(5, ge=0, description="Said in Field.")
        undocumented: int = 1
        LIMIT: ClassVar[int] = 9
        """Not a field."""
        _hidden: int = 0
        """Private."""

    fields = Shapes.model_fields
    assert fields["plain"].description == "A plain default.\n\nSecond paragraph."
    assert fields["plain"].default == 3
    assert fields["required"].description == "No default." and fields["required"].is_required()
    assert fields["bounded"].description == "Bounds in the annotation." and fields["bounded"].default == 2
    assert fields["explicit"].description == "Said in Field." and fields["explicit"].default == 5
    assert fields["undocumented"].description is None
    assert set(fields) == {"plain", "required", "bounded", "explicit", "undocumented"}
    assert Shapes.LIMIT == 9
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Shapes(required="x", bounded=0)
    schema = Shapes.model_json_schema()
    assert schema["properties"]["required"]["description"] == "No default."


def test_a_docstring_under_a_field_without_description_is_an_error_naming_the_fix() -> None:
    with pytest.raises(TypeError, match=r"Bad\.size: move the docstring into Field\(\.\.\., description=\.\.\.\)"):

        class Bad(SpecModel):
            size: int = Field(3, ge=1)
            """Would be lost."""
