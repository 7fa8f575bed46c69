"""Every `Example:` in a public docstring runs and shows what it claims."""

import ast
import doctest
import importlib
import inspect
import pkgutil
import re

import keras
import numpy as np
import pytest

import keras_hpn

FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _public_objects():
    for info in pkgutil.walk_packages(keras_hpn.__path__, "keras_hpn."):
        if info.name.endswith("cli") or ".benchmarks." in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                name.startswith("_")
                or getattr(obj, "__module__", None) != module.__name__
            ):
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{info.name}.{name}", obj


EXAMPLES = [
    (name, block)
    for name, obj in _public_objects()
    for block in FENCE.findall(inspect.getdoc(obj) or "")
]


def test_examples_were_found():
    names = {name for name, _ in EXAMPLES}
    assert "keras_hpn.losses.PrototypeCosineLoss" in names
    assert "keras_hpn.layers.L2NormalizedProjection" in names


@pytest.mark.parametrize("name, block", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_example_runs(name, block):
    first = block.strip().splitlines()[0]
    if first.startswith("# backends:") and keras.backend.backend() not in first:
        pytest.skip(f"example of {name} is for {first[len('# backends:') :].strip()}")
    module = importlib.import_module(name.rsplit(".", 1)[0])
    namespace = {**vars(module), "np": np, "keras": keras, "keras_hpn": keras_hpn}
    if ">>>" in block:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block, namespace, name, None, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.failures == 0, f"doctest of {name} failed (see output above)"
        return
    # Plain examples: run them statement by statement; a "# value" comment
    # on the line after an expression states what the expression evaluates to.
    lines = block.splitlines()
    for statement in ast.parse(block).body:
        source = ast.get_source_segment(block, statement)
        following = (
            lines[statement.end_lineno].strip()
            if statement.end_lineno < len(lines)
            else ""
        )
        if isinstance(statement, ast.Expr) and following.startswith("# "):
            value = eval(source, namespace)  # noqa: S307 - our own docs
            expected = eval(following[2:], namespace)  # noqa: S307
            assert value == pytest.approx(expected, abs=1e-6), (name, source)
        else:
            exec(source, namespace)  # noqa: S102
