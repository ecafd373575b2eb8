"""Every public function and method of sslcore has type hints (issue 10, item 5).

Public: the name has no leading underscore and the object is defined in the module that holds it
(``obj.__module__ == module.__name__``; re-exports are checked where they are defined). Methods
of the public classes count, inherited ones too when their class is in the same module.
Every parameter except self/cls, *args and **kwargs included, and the return need an
annotation. One test per module, so a module without hints names itself.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import sslcore

SKIP = {"sslcore.__main__"}     # importing it runs the command line


def _module_names():
    found = [m.name for m in pkgutil.walk_packages(sslcore.__path__, "sslcore.")]
    return ["sslcore"] + sorted(name for name in found if name not in SKIP)


def _routines(owner):
    """(name, function) of the plain functions, static/class methods and property accessors
    defined directly in ``owner`` (a module's or a class's namespace)."""
    for name, obj in vars(owner).items():
        if name.startswith("_"):
            continue
        if isinstance(obj, (staticmethod, classmethod)):
            yield name, obj.__func__
        elif isinstance(obj, property):
            for accessor in (obj.fget, obj.fset):
                if accessor is not None:
                    yield name, accessor
        else:
            yield name, obj


def public_functions(module):
    """{qualified name: function} of the public functions and methods defined in ``module``."""
    out = {}
    for name, obj in _routines(module):
        if inspect.isclass(obj) and obj.__module__ == module.__name__:
            for klass in obj.__mro__:                    # inherited methods of this module too
                if klass.__module__ != module.__name__:
                    continue
                for mname, meth in _routines(klass):
                    fn = inspect.unwrap(meth)
                    if inspect.isfunction(fn) and f"{name}.{mname}" not in out:
                        out[f"{name}.{mname}"] = fn
            continue
        fn = inspect.unwrap(obj) if callable(obj) else obj
        if inspect.isfunction(fn) and fn.__module__ == module.__name__:
            out[name] = fn
    return out


def missing_hints(fn):
    """Names of the parameters of ``fn`` without an annotation, and "return" if it has none."""
    sig = inspect.signature(fn)
    missing = [p.name for p in sig.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


@pytest.mark.parametrize("module_name", _module_names())
def test_public_functions_have_type_hints(module_name):
    module = importlib.import_module(module_name)
    offenders = {name: miss for name, fn in public_functions(module).items()
                 if (miss := missing_hints(fn))}
    assert not offenders, (
        f"{module_name}: {len(offenders)} public function(s) without complete type hints: "
        + "; ".join(f"{name} ({', '.join(miss)})" for name, miss in sorted(offenders.items())))


def test_the_walk_finds_functions_and_methods():
    """The walk sees module functions, inherited dataclass methods, classmethods and
    properties (so that an empty walk cannot pass the test above)."""
    from sslcore import config, experiments

    config_names = public_functions(config)
    assert {"config_from_dict", "SSLConfig.replace", "SSLConfig.from_dict",
            "SLConfig.to_dict"} <= set(config_names)
    assert {"Outcome.from_run", "Outcome.count", "run_paper"} <= set(public_functions(experiments))
    assert "sslcore.__main__" not in _module_names() and "sslcore.checkers.a1" in _module_names()

    def bare(x, *args, y=1, **kw):
        return x

    def hinted(self, x: int, *args: int, **kw: str) -> int:
        return x

    assert missing_hints(bare) == ["x", "args", "y", "kw", "return"]
    assert missing_hints(hinted) == []
