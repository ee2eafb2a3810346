"""Every public function and method of the package is documented the numpydoc way: a
docstring, a ``Parameters`` section when it takes parameters, and a ``Returns`` (or
``Yields``) section when it returns something.

Exempt: the Typer command functions of symbiosis/cli.py (their help is each option's
``help=``, which ``symbiosis CMD --help`` shows), dunder methods, properties (their one line
says what they are), Protocol method stubs, and ``@overload`` stubs.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "symbiosis"


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        names.add(ast.unparse(target))
    return names


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = node.args
    names = [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return [n for n in names if n not in ("self", "cls")]


def _returns_something(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    ann = node.returns
    return ann is not None and ast.unparse(ann) not in ("None", "NoReturn", "Never")


def problems() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(PACKAGE.parent)
        scopes: list[tuple[str, list[ast.stmt], bool]] = [("", tree.body, False)]
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                protocol = any(ast.unparse(b).endswith("Protocol") for b in node.bases)
                scopes.append((node.name + ".", node.body, protocol))
        for prefix, body, protocol in scopes:
            for node in body:
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                name = node.name
                if name.startswith("_") or protocol:
                    continue
                decorators = _decorators(node)
                if decorators & {"property", "overload", "typing.overload"}:
                    continue
                if any(d.endswith(("command", ".setter")) for d in decorators):
                    continue
                where = f"{rel}:{node.lineno} {prefix}{name}"
                doc = ast.get_docstring(node)
                if not doc:
                    out.append(f"{where}: no docstring")
                    continue
                if _params(node) and "Parameters\n" not in doc:
                    out.append(f"{where}: no Parameters section")
                if _returns_something(node) and not ("Returns\n" in doc or "Yields\n" in doc):
                    out.append(f"{where}: no Returns section")
    return out


def test_every_public_function_has_numpydoc_sections() -> None:
    found = problems()
    assert found == [], f"{len(found)} undocumented:\n" + "\n".join(found)
