"""Every public name has a section in the API reference (docs/api/*.md).

The site's API pages are `::: keras_hpn.module.Name` directives that
mkdocstrings fills from the docstrings when `mkdocs build --strict` runs
(`make test` runs it, and fails on a directive that names nothing). This
test fails when a public name has no directive, when a directive names
something that is not there, and when a public module has no page.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

import keras_hpn

pytestmark = pytest.mark.once  # backend-independent: first pass only

API = Path(__file__).resolve().parent.parent / "docs" / "api"
DIRECTIVE = re.compile(r"^::: (keras_hpn(?:\.\w+)*)\s*$", re.MULTILINE)
# The modules of keras_hpn.__all__ (all but the top-level decoders and
# `__version__`) and `decoding`, which holds those decoders.
MODULES = sorted(
    {name for name in keras_hpn.__all__ if inspect.ismodule(getattr(keras_hpn, name))}
    | {"decoding"}
)


def public_names(module) -> list[str]:
    """`__all__`, or the classes and functions a module defines without `_`."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    ]


def directives(page: Path) -> list[str]:
    return DIRECTIVE.findall(page.read_text())


def test_the_public_modules_are_found():
    assert {"losses", "metrics", "prototypes", "saving", "tuning"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_has_a_section(name):
    page = API / f"{name}.md"
    assert page.exists(), f"keras_hpn.{name} has no API page: write {page}"
    found = set(directives(page))
    module = importlib.import_module(f"keras_hpn.{name}")
    missing = [
        f"::: keras_hpn.{name}.{member}"
        for member in public_names(module)
        if f"keras_hpn.{name}.{member}" not in found
    ]
    assert not missing, f"add to {page.name}: " + ", ".join(missing)
    assert f"keras_hpn.{name}" in found, f"{page.name} lacks the module docstring"


def test_every_directive_names_something():
    pages = sorted(API.glob("*.md"))
    assert pages
    for page in pages:
        for path in directives(page):
            module_name, _, attribute = path.rpartition(".")
            try:
                importlib.import_module(path)
                continue
            except ModuleNotFoundError:
                pass
            module = importlib.import_module(module_name)
            assert hasattr(module, attribute), f"{page.name}: {path} does not exist"
