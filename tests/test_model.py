"""The values between stages: :func:`dedup.model.fast_init` must build exactly what the dataclass's
own ``__init__`` builds, for every class it decorates."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
import pkgutil
from typing import Any

import pytest

import dedup
from dedup.model import Passage, fast_init, replace


def _decorated() -> list[type]:
    found = []
    for module in pkgutil.iter_modules(dedup.__path__):
        if module.name in ("spark", "__main__"):  # spark needs pyspark; __main__ runs the CLI
            continue
        for value in vars(importlib.import_module(f"dedup.{module.name}")).values():
            if isinstance(value, type) and "__dataclass_init__" in vars(value):
                found.append(value)
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


DECORATED = _decorated()


def test_the_values_built_per_document_are_decorated() -> None:
    names = {c.__qualname__ for c in DECORATED}
    assert {"Passage", "Document", "Change", "DocResult", "Prepared", "Row", "Lines", "Sketch", "Verdict",
            "Item"} <= names


class _Token:
    """A distinct, picklable value per field."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Token) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


@pytest.mark.parametrize("cls", DECORATED, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_fast_init_builds_what_the_dataclass_builds(cls: Any) -> None:
    fields = dataclasses.fields(cls)
    assert inspect.signature(cls.__init__) == inspect.signature(cls.__dataclass_init__)
    required = [_Token(f.name) for f in fields if f.default is dataclasses.MISSING]
    every = {f.name: _Token(f.name) for f in fields}
    for args, kwargs in ((required, {}), ((), every), ([every[f.name] for f in fields], {})):
        fast = cls(*args, **kwargs)
        slow = object.__new__(cls)
        cls.__dataclass_init__(slow, *args, **kwargs)
        assert vars(fast) == vars(slow)
        assert list(vars(fast)) == [f.name for f in fields]  # same order: repr and asdict follow it
        assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
        assert dataclasses.replace(fast) == fast
        if "__reduce__" not in vars(cls):  # a class's own reduce needs real values (tests/test_properties.py)
            assert pickle.loads(pickle.dumps(fast)) == fast
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.__setattr__(fields[0].name, None)
    with pytest.raises(TypeError):
        cls(*[every[f.name] for f in fields], _Token("one too many"))
    with pytest.raises(TypeError):
        cls(**every, no_such_field=None)


@pytest.mark.parametrize("cls", DECORATED, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_replace_is_dataclasses_replace(cls: Any) -> None:
    fields = dataclasses.fields(cls)
    value = cls(**{f.name: _Token(f.name) for f in fields})
    for f in fields:
        changed = replace(value, **{f.name: _Token("new")})
        assert type(changed) is cls
        assert vars(changed) == vars(dataclasses.replace(value, **{f.name: _Token("new")}))
        assert getattr(value, f.name) == _Token(f.name)  # the old value is untouched
    with pytest.raises(TypeError):
        replace(value, no_such_field=None)


def test_replace_of_other_dataclasses_is_dataclasses_replace() -> None:
    @dataclasses.dataclass(frozen=True)
    class Plain:
        a: int
        b: int = dataclasses.field(default=0, init=False)

    assert replace(Plain(1), a=2) == Plain(2)
    with pytest.raises(ValueError):
        replace(Plain(1), b=2)  # dataclasses.replace refuses a field that is not in __init__


def test_fields_named_like_the_generated_code_uses_are_stored() -> None:
    @fast_init
    @dataclasses.dataclass(frozen=True)
    class Awkward:
        self: int
        values: int
        fields: str = "f"

    value = Awkward(1, 2)
    assert (value.self, value.values, value.fields) == (1, 2, "f")
    assert Awkward(self=3, values=4, fields="g") == Awkward(3, 4, "g")


def test_a_missing_argument_is_refused_as_before() -> None:
    with pytest.raises(TypeError, match="missing"):
        Passage("doc", 0, 0, 0, 0, 1, "text", "key")  # type: ignore[call-arg]


def test_only_frozen_dataclasses_of_plain_fields_are_accepted() -> None:
    @dataclasses.dataclass
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class NotInit:
        a: int = dataclasses.field(default=0, init=False)

    for cls in (Mutable, Factory, PostInit, NotInit):
        with pytest.raises(TypeError, match="plain fields"):
            fast_init(cls)
