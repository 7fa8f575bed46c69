"""Writes docs/api.md from the docstrings: `python docs/make_api.py`.

tests/test_api_reference.py fails when docs/api.md differs from what this
script writes, so the reference cannot go stale.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

MODULES = {
    "keras_hpn": [
        "predict_classes",
        "acceptance_threshold",
        "class_scores",
        "decode_regression",
    ],
    "keras_hpn.calibration": None,
    "keras_hpn.prototypes": None,
    "keras_hpn.layers": None,
    "keras_hpn.losses": [
        "PrototypeCosineLoss",
        "HypersphericalRegressionLoss",
        "MultiTaskLoss",
    ],
    "keras_hpn.metrics": None,
    "keras_hpn.initializers": None,
    "keras_hpn.models": None,
    "keras_hpn.analysis": None,
    "keras_hpn.data": None,
    "keras_hpn.distribute": None,
    "keras_hpn.tuning": ["HPNHyperModel", "objective", "RangeMAE"],
}


def _public(module, names):
    if names is None:
        names = getattr(module, "__all__", None) or [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and getattr(value, "__module__", "").startswith(module.__name__)
        ]
    return [(name, getattr(module, name)) for name in names]


def _signature(obj) -> str:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    # Names and defaults only: annotations are strings under postponed evaluation.
    plain = signature.replace(
        parameters=[
            parameter.replace(annotation=inspect.Parameter.empty)
            for parameter in signature.parameters.values()
        ],
        return_annotation=inspect.Signature.empty,
    )
    return str(plain).replace("'", '"')


def render() -> str:
    """The text of docs/api.md."""
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings by `python docs/make_api.py`; each entry",
        "gives the signature and the summary line. `help(obj)` shows the full",
        "docstring with arguments and an example.",
    ]
    for module_name, names in MODULES.items():
        module = importlib.import_module(module_name)
        lines += ["", f"## `{module_name}`", ""]
        for name, obj in _public(module, names):
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            doc = inspect.getdoc(obj) or ""
            summary = doc.strip().splitlines()[0] if doc.strip() else ""
            lines.append(f"- **`{name}{_signature(obj)}`**: {summary}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = Path(__file__).parent / "api.md"
    target.write_text(render())
    print(f"wrote {target}")
