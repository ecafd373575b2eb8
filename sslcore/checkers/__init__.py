"""Checkers of the assignments (``assignments/masters/``): each part of a task is one otter test
case; a failed check raises AssertionError with a message that names the mistake when it
recognizes one. ``common`` holds what they share; ``a1``, ``a2``, ``a3`` one module per
assignment."""
from . import a1, a2, a3, common

__all__ = ["a1", "a2", "a3", "common"]
