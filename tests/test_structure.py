"""The package's modules depend one way: no two modules import each other."""

import ast
import pathlib

import pytest

pytestmark = pytest.mark.once  # reads source files only

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_hpn"


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path, name: str) -> set[str]:
    """Modules of the package that `path` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module.startswith("keras_hpn")}


def test_no_two_modules_import_each_other():
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":  # packages re-export their modules
            graph[_module_name(path)] = _imports(path, _module_name(path))
    assert len(graph) > 20
    cycles = sorted(
        (first, second)
        for first, imported in graph.items()
        for second in imported
        if second in graph and first < second and first in graph[second]
    )
    assert cycles == []
