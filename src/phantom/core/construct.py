"""Fast positional constructors for the frozen value types built once per order on the hot path
(a backtest sends tens of thousands of orders through the realism model).

- :func:`slot_constructor` (interpreted Python): sets a slotted dataclass's slots directly, what
  its generated ``__init__`` does without the keyword handling and the frozen ``__setattr__``
  detour.
- :func:`fast_constructor`: a module's own *native* constructor when the code runs compiled by
  mypyc (``bench/compiled.py``), else :func:`slot_constructor`.

Both give objects equal, field for field, to ``cls(*args)`` (``tests/perf_golden``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from types import FunctionType
from typing import Any, TypeVar

T = TypeVar("T")


def slot_constructor(cls: type[T]) -> Callable[..., T]:
    """A positional constructor (every field, in declaration order) for a slotted dataclass
    whose ``__init__`` only stores its arguments: no ``__post_init__``, no ``InitVar``, every
    field an ``__init__`` parameter. It sets the slots directly and gives an object equal, field
    for field, to ``cls(*args)``. Any other class gets ``cls`` itself back."""
    if not is_dataclass(cls) or "__slots__" not in vars(cls) or hasattr(cls, "__post_init__"):
        return cls
    names = [f.name for f in fields(cls)]
    if any(not f.init for f in fields(cls)) or set(names) != set(vars(cls)["__slots__"]):
        return cls
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = []
    for k, name in enumerate(names):
        scope[f"_set{k}"] = vars(cls)[name].__set__  # the slot's member descriptor
        body.append(f"    _set{k}(obj, {name})\n")
    source = f"def make({', '.join(names)}):\n    obj = _new(_cls)\n{''.join(body)}    return obj\n"
    exec(source, scope)  # fixed template over the dataclass's own field names
    made: Callable[..., T] = scope["make"]
    made.__qualname__ = made.__name__ = f"new_{cls.__name__}"
    made.__doc__ = f"``{cls.__name__}(*args)``, faster (see ``slot_constructor``)."
    return made


def fast_constructor(cls: type[T], native: Callable[..., T]) -> Callable[..., T]:
    """The positional constructor of ``cls`` to use on the hot path: ``native`` when this code
    runs compiled by mypyc (``bench/compiled.py``: ``cls`` is a native class and ``native`` a
    compiled function, which sets the fields straight into the object, frozen or not, at a tenth
    of the cost of the dataclass ``__init__``); else :func:`slot_constructor`. ``native`` must
    set every field, in declaration order, and nothing else; interpreted, it would be refused
    by the frozen class, so it is never used there."""
    if is_native(cls) and not isinstance(native, FunctionType):
        return native
    return slot_constructor(cls)


def is_native(cls: type) -> bool:
    """Whether ``cls`` was compiled by mypyc (a native class)."""
    return hasattr(cls, "__mypyc_attrs__")
