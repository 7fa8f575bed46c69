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


def _imported_names(path: pathlib.Path) -> set[tuple[str, str | None]]:
    """(module, name) of every `from module import name` and (module, None)
    of every `import module` in `path`, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.update((node.module or "", alias.name) for alias in node.names)
    return found


def test_modules_outside_prototypes_use_its_public_api_only():
    """The geometry is reached through `keras_hpn.prototypes`' `__all__`, so
    its insides can move without touching the Keras-facing modules."""
    import keras_hpn.prototypes as geometry

    public = set(geometry.__all__)
    inside = PACKAGE / "prototypes"
    private = sorted(
        f"{path.relative_to(PACKAGE.parent)}: {module}"
        + (f" import {name}" if name else "")
        for path in PACKAGE.rglob("*.py")
        if inside not in path.parents
        for module, name in _imported_names(path)
        if module.startswith("keras_hpn.prototypes")
        and (module != "keras_hpn.prototypes" or name not in public)
    )
    assert private == []


def test_the_geometry_holds_no_infrastructure():
    """Argument checks, memory estimates, the progress printer and the CLI
    live outside `keras_hpn/prototypes/`."""
    names = {path.stem for path in (PACKAGE / "prototypes").rglob("*.py")}
    assert names.isdisjoint({"validation", "progress", "command", "memory"})
