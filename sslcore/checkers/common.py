"""What every checker shares: comparing arrays, naming a known mistake, calling a student's
function safely (on copies, with a stop for loops that never end), and grading one task with
correct versions of the functions it depends on.

A check raises ``AssertionError`` with a message that says what differs, by how much, and, when
the answer matches a known mistake, which one ("It matches the gradient without the
regularizer ..."). Otter shows that message in the student's ``grader.check("taskK")``.
"""
from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

RTOL = 1e-8           # allowed max relative error of a gradient or a constant
VERDICT_WIDTH = 79    # a longer line is cut off on the book's pages
#: a function from the student's notebook: otter passes None when the notebook lacks it
StudentFunction = Callable[..., Any] | None
_T = TypeVar("_T")


class Runaway(Exception):
    """Raised by a checker's map when a student's loop calls it far too often."""


def verdict(text: str) -> None:
    """Print a verdict wrapped to VERDICT_WIDTH characters (continuation lines indented)."""
    print(textwrap.fill(text, VERDICT_WIDTH, subsequent_indent="  ", break_long_words=False,
                        break_on_hyphens=False))


def rel(a: ArrayLike, b: ArrayLike) -> float:
    """max |a - b| / max |b| (max |a - b| when b = 0)."""
    scale = np.max(np.abs(b))
    return float(np.max(np.abs(np.asarray(a) - b)) / (scale if scale > 0 else 1.0))


def defined(task: str, name: str, fn: StudentFunction) -> Callable[..., Any]:
    """Fail unless the student's function ``name`` exists (otter passes None otherwise)."""
    if fn is None:
        raise AssertionError(f"{task}: {name} is not defined; run the cell that defines it")
    if not callable(fn):
        raise AssertionError(f"{task}: {name} must be a function, got {type(fn).__name__}")
    return fn


def not_none(task: str, name: str, value: _T | None) -> _T:
    """Fail with a hint when a function returned None (the hand-out's body is ``...``)."""
    if value is None:
        raise AssertionError(f"{task}: {name} returned None; write its body (replace the "
                             "'...') and return the result")
    return value


def as_float_array(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
    """Check type, shape, dtype and finiteness of a returned array; return it."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if value.shape != shape:
        hint = (" (transposed? W and its gradient are (2, d))"
                if len(shape) == 2 and value.shape == shape[::-1] else "")
        raise AssertionError(f"{name} has shape {value.shape}, expected {shape}{hint}")
    if value.dtype != np.float64:
        raise AssertionError(f"{name} has dtype {value.dtype}, expected float64")
    if not np.all(np.isfinite(value)):
        raise AssertionError(f"{name} has non-finite entries (nan or inf)")
    return value


def hint(got: ArrayLike, want: ArrayLike, mistakes: Mapping[str, ArrayLike]) -> str:
    """' It matches <the first known mistake equal to got>.' (or ''); mistakes that coincide
    with the right answer ``want`` for this case are skipped."""
    for text, value in mistakes.items():
        if np.shape(value) != np.shape(want) or rel(value, want) < 1e-6:
            continue
        if np.shape(got) == np.shape(value) and rel(got, value) < 1e-6:
            return f" It matches {text}."
    return ""


def copies(args: Sequence[Any]) -> list[Any]:
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def unchanged(task: str, args: Sequence[Any], copied: Sequence[Any], extra: str = ""
              ) -> None:
    """Fail if the student's function changed one of the array inputs (given as copies)."""
    for a, c in zip(args, copied):
        if isinstance(a, np.ndarray) and not np.array_equal(a, c):
            raise AssertionError(f"{task}: your function changed one of its inputs in place; "
                                 f"compute new arrays instead{extra}")


def call(task: str, fn: Callable[..., _T], *args: Any) -> _T:
    """Call fn on copies of the inputs; fail if it changes them."""
    copied = copies(args)
    out = fn(*copied)
    unchanged(task, args, copied)
    return out


def traced(fn: Callable[[Any], _T], limit: int
           ) -> tuple[Callable[[Any], _T], list[np.ndarray]]:
    """(wrapped fn, list of the points it was called at); the wrapper raises Runaway after
    ``limit`` calls, so that a loop without an exit cannot hang the checker."""
    calls = []

    def wrapped(x: Any) -> _T:
        if len(calls) >= limit:
            raise Runaway
        calls.append(np.array(x, dtype=np.float64, copy=True))
        return fn(x)
    return wrapped, calls


def run(task: str, what: str, fn: Callable[..., Any], *args: Any, limit: int = 1000,
        name: str = "f") -> tuple[Any, Exception | None]:
    """Call ``fn`` on copies of the inputs: (result, exception raised by fn or None). A runaway
    loop (more than ``limit`` calls of the checker's map ``name``) and a change of an input in
    place are reported as AssertionError; any other exception of the student's code is returned
    for the checker to explain."""
    copied = copies(args)
    try:
        out, exc = fn(*copied), None
    except Runaway:
        raise AssertionError(f"{task}: {what}: your function called {name} more than {limit} "
                             "times; does its loop stop?") from None
    except Exception as e:  # any error is explained to the student by the checker
        out, exc = None, e
    unchanged(task, args, copied, " (x = x0.copy() or x = x - step)")
    return out, exc


def is_float(v: object) -> bool:
    return isinstance(v, (float, np.floating)) and not isinstance(v, (bool, np.bool_))


@contextlib.contextmanager
def using(env: dict[str, Any] | None, **correct: Any) -> Iterator[None]:
    """Within the block, the notebook's names in ``correct`` are bound to correct versions.

    A task that calls the function of an earlier task (A2's ``condition_holds`` calls
    ``ift_constants``) is graded with the correct earlier function, so a mistake costs the
    points of its own task only. ``env`` is the notebook's global namespace (otter passes it
    to a test function with a parameter named ``env``); names absent from it stay absent."""
    if env is None:
        yield
        return
    saved = {k: env[k] for k in correct if k in env}
    env.update(correct)
    try:
        yield
    finally:
        for k in correct:
            if k in saved:
                env[k] = saved[k]
            else:
                env.pop(k, None)
