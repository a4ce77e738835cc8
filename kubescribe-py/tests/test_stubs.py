"""The stubs (`_kubescribe.pyi`) declare exactly what the extension exports."""

import ast
import inspect
from pathlib import Path

import kubescribe
import kubescribe._kubescribe as ext

STUB = Path(kubescribe.__file__).with_name("_kubescribe.pyi")


def _stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def _public(names):
    return {n for n in names if not n.startswith("_") or n == "__version__"}


def stub_names() -> set[str]:
    names = set()
    for node in _stub_tree().body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return _public(names)


def stub_members() -> dict[str, set[str]]:
    out = {}
    for node in _stub_tree().body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            out[node.name] = members
    return out


def test_the_stubs_are_shipped_with_py_typed():
    assert STUB.is_file()
    assert STUB.with_name("py.typed").is_file()


def test_stubs_list_every_public_name_of_the_extension_and_nothing_else():
    exported = _public(n for n in dir(ext) if not inspect.ismodule(getattr(ext, n)))
    exported -= {"__version__"} if "__version__" not in exported else set()
    declared = stub_names()
    assert exported - declared == set(), "exported but missing from the stubs"
    assert declared - exported == set(), "in the stubs but not exported"


# Written in Python on top of the extension (kubescribe/_transformers.py), typed there.
PYTHON_SIDE = {"IntentLogitsProcessor", "constraint_vocab", "transformers_callable"}


def test_the_package_reexports_every_public_name():
    exported = _public(dir(ext))
    exported = {n for n in exported if not inspect.ismodule(getattr(ext, n))}
    assert set(kubescribe.__all__) == exported | PYTHON_SIDE
    assert not PYTHON_SIDE & exported
    for n in PYTHON_SIDE:
        assert getattr(kubescribe, n).__module__ == "kubescribe._transformers"
    for n in exported:
        assert getattr(kubescribe, n) is getattr(ext, n)


def test_stubs_list_every_public_method_and_property_of_each_class():
    members = stub_members()
    for name, declared in members.items():
        if name.startswith("_"):
            continue
        cls = getattr(ext, name)
        if issubclass(cls, BaseException):
            # Exceptions: only the attributes kubescribe adds are declared.
            continue
        runtime = {
            m
            for m in vars(cls)
            if not m.startswith("_") or m in {"__init__", "__enter__", "__exit__", "__len__"}
        }
        runtime.discard("__init__")
        declared = {m for m in declared if m != "__init__"}
        # pyo3 classes define __enter__/__exit__/__len__ in vars(); compare what the stub covers.
        dunder = {m for m in runtime if m.startswith("__")}
        assert dunder <= declared, (name, dunder - declared)
        assert runtime - dunder == {m for m in declared if not m.startswith("_")}, name
        # Private hooks the stubs declare (_repr_html_) exist.
        for m in declared:
            if m.startswith("_") and not m.startswith("__"):
                assert hasattr(cls, m), (name, m)
