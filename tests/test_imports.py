"""`import keras_hpn` registers every Keras class, in any import order, with no hook."""

import ast
import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import pytest

import keras_hpn

pytestmark = pytest.mark.once  # backend-independent: first pass only

BACKEND = keras.backend.backend()


def run(code: str) -> str:
    env = dict(os.environ, KERAS_BACKEND=BACKEND)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_import_registers_every_class_without_import_machinery():
    """`import keras_hpn` imports the Keras-facing modules, whose decorators
    register their classes (as keras-hub does); no import hook is installed."""
    out = run(
        """
        import sys
        finders = list(sys.meta_path)
        import keras_hpn
        import keras
        names = ["L2NormalizedProjection", "PrototypeHead", "PrototypeCosineLoss",
                 "MultiTaskLoss", "PrototypeAccuracy", "InvalidLabels",
                 "PrototypeInitializer"]
        # Finders added by others (absl adds one) are not ours.
        ours = [f for f in sys.meta_path if f not in finders
                and type(f).__module__.startswith("keras_hpn")]
        print(ours == [] and all(
            keras.saving.get_registered_object(f"keras_hpn>{name}") is not None
            for name in names
        ))
        """
    )
    assert out == "True"


def test_package_holds_no_import_hooks():
    package = pathlib.Path(keras_hpn.__file__).parent
    hooks = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "meta_path" in path.read_text() or "_initializing" in path.read_text()
    ]
    assert hooks == []


def test_geometry_package_never_imports_keras():
    """`keras_hpn.prototypes` is numpy geometry: none of its modules imports a
    deep-learning framework, at any depth of its code."""
    package = pathlib.Path(keras_hpn.__file__).parent / "prototypes"
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            for name in names:
                if name.split(".")[0] in ("keras", "tensorflow", "torch"):
                    found.append(f"{path.name}: {name}")
    assert found == []


@pytest.mark.parametrize("first", ["keras_hpn", "keras"])
def test_saved_model_loads_whatever_the_import_order(first, tmp_path):
    protos = keras_hpn.prototypes.hyperspherical(10, 5, seed=0)
    model = keras.Sequential(
        [keras.Input((4,)), keras_hpn.layers.L2NormalizedProjection(5)]
    )
    model.compile("adam", keras_hpn.losses.PrototypeCosineLoss(protos))
    path = tmp_path / "model.keras"
    model.save(path)
    second = "keras" if first == "keras_hpn" else "keras_hpn"
    out = run(
        f"""
        import {first}
        import {second}
        import keras
        print(type(keras.saving.load_model({str(path)!r}).loss).__name__)
        """
    )
    assert out == "PrototypeCosineLoss"


def test_one_keras_facing_module_registers_all_classes():
    out = run(
        """
        from keras_hpn.layers import L2NormalizedProjection
        import keras
        names = ["PrototypeCosineLoss", "PrototypeAccuracy", "PrototypeInitializer"]
        print(all(
            keras.saving.get_registered_object(f"keras_hpn>{name}") is not None
            for name in names
        ))
        """
    )
    assert out == "True"


def test_lazy_attributes():
    assert keras_hpn.losses.PrototypeCosineLoss.__module__ == "keras_hpn.losses"
    assert "layers" in dir(keras_hpn)
    with pytest.raises(AttributeError, match="no attribute 'lossses'"):
        keras_hpn.lossses  # noqa: B018


def _modules_importing_keras() -> list[str]:
    """keras-hpn modules that import Keras when they load: any of them can be
    the one that imports Keras first."""
    package = pathlib.Path(keras_hpn.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(name == "keras" or name.startswith("keras.") for name in names):
                parts = path.relative_to(package.parent).with_suffix("").parts
                found.append(".".join(parts))
                break
    return found


def test_every_module_can_be_imported_first_and_registers_all_classes():
    """`from keras_hpn import initializers` as the first import failed with a
    circular import: loading Keras registered the classes while
    `initializers` had not defined its own yet."""
    modules = _modules_importing_keras()
    assert "keras_hpn.initializers" in modules and "keras_hpn.numerics" in modules
    names = ["PrototypeCosineLoss", "PrototypeAccuracy", "PrototypeInitializer"]
    # The import order does not depend on the backend: the quickest to load.
    backend = "jax" if importlib.util.find_spec("jax") else BACKEND
    env = dict(os.environ, KERAS_BACKEND=backend)
    running = {
        module: subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(
                    f"""
                    import importlib
                    importlib.import_module({module!r})
                    import keras
                    print(all(
                        keras.saving.get_registered_object(f"keras_hpn>{{name}}")
                        is not None
                        for name in {names!r} + ["L2NormalizedProjection"]
                    ))
                    """
                ),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for module in modules
    }
    for module, process in running.items():
        out, errors = process.communicate(timeout=300)
        assert process.returncode == 0, (module, errors[-2000:])
        assert out.strip().splitlines()[-1] == "True", module
