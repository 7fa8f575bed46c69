"""The Colab notebooks in notebooks/ are well formed, saved with the outputs
of their own code, and run top to bottom.

Structure (every backend): a first markdown cell with the runtime hint and
the install note, an install cell in plain Python, exactly one cell tagged
`parameters` holding `SMOKE = False`, and a markdown cell tagged
`run-record` that says how the saved outputs were made.

Saved outputs: every code cell ran, in order, without an error, and the
digest of the code cells recorded by `notebooks/execute.py` (`make
notebooks`) when it ran them equals the digest of the cells now: whoever
changes a cell re-executes the notebook.

Execution (slow, TensorFlow only, so CI runs it once): the same code cells
run in order in one namespace, as a kernel would run them, with `SMOKE =
False` turned into `SMOKE = True` (tiny budgets; tfds data from its offline
mock, which the notebooks enter themselves; Fashion-MNIST from the real
files, skipped where they are absent outside CI). Afterwards a few values
the notebook computed are checked.
"""

import json
import os
import re
import runpy
import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PUBLISH = runpy.run_path(str(NOTEBOOKS / "publish.py"))
EXECUTE = runpy.run_path(str(NOTEBOOKS / "execute.py"))
# Saved outputs stay small enough to read on the repository page.
MAX_BYTES = 1_000_000
SMOKE_OFF = re.compile(r"^SMOKE = False$", re.MULTILINE)
MAGIC = re.compile(r"^\s*[%!]", re.MULTILINE)


def check_quickstart(ns):
    assert 0.0 <= ns["accuracy"] <= ns["top5_accuracy"] <= 1.0
    assert ns["same_predictions"] is True and ns["same_prototypes"] is True
    np.testing.assert_array_equal(ns["reloaded_outputs"], ns["outputs"])
    assert Path(f"hpn_{ns['DATASET']}.keras").is_file()
    assert sorted(path.name for path in Path("projector").iterdir()) == [
        "metadata.tsv",
        "projector_config.pbtxt",
        "tensors.tsv",
    ]
    assert len(ns["history"].history["loss"]) == ns["EPOCHS"]
    classes, dims = {"cifar100": (100, 50), "fashion_mnist": (10, 5)}[ns["DATASET"]]
    assert ns["prototypes"].shape == (classes, dims)
    assert ns["outputs"].shape == (len(ns["y_test"]), dims)
    if ns["DATASET"] == "fashion_mnist":  # real images: 1,000 of the test set
        assert ns["x_test"].shape == (1000, 28, 28, 1)
        assert ns["accuracy"] > 0.3  # two epochs on 2,000 images beat chance (0.1)
        assert ns["GPU"] or ns["DATASET"] == "fashion_mnist"


def check_prototypes(ns):
    assert [row[0] for row in ns["rows"]] == ns["DIMS"]
    for _, ours, paper, bound in ns["rows"]:
        assert ours.largest_cosine >= bound - 1e-9
        assert paper.largest_cosine >= bound - 1e-9
        if ours.optimum is not None:  # closed forms from D = 50 on
            assert ours.largest_cosine == pytest.approx(ours.optimum, abs=1e-9)
    assert set(ns["correlations"]) == {"without priors", "with priors"}
    assert ns["correlations"]["with priors"] > ns["correlations"]["without priors"]


def check_regression(ns):
    for value in ns["regression_mae"].values():
        assert np.isfinite(value) and value > 0
    predictions = ns["hpn_predictions"]
    assert predictions.shape == ns["diabetes"].y_test.shape
    assert ns["lower"] <= predictions.min() and predictions.max() <= ns["upper"]
    assert list(ns["sweep"]) == ns["TASK_WEIGHTS"]
    for results in ns["sweep"].values():
        assert results.shape == (len(ns["SEEDS"]), 2)
        assert np.all((0.0 <= results[:, 0]) & (results[:, 0] <= 1.0))
        assert np.all(results[:, 1] >= 0.0)


def check_tuning(ns):
    assert ns["strategy"] is None  # no GPU here
    assert sorted(dims for dims, _ in ns["dims_results"]) == sorted(ns["DIMS"])
    assert ns["best_dims"] in ns["DIMS"]
    assert 0.0 <= ns["test_accuracy"] <= 1.0
    assert len(ns["weight_results"]) == ns["WEIGHT_TRIALS"]
    for weight, accuracy, mae in ns["weight_results"]:
        assert 0.05 <= weight <= 0.95 and 0.0 <= accuracy <= 1.0 and mae >= 0.0


def check_representations(ns):
    assert len(ns["runs"]) == len(ns["LOSSES"]) * len(ns["SEEDS"])
    for run in ns["runs"]:
        for key in ("accuracy", "separation", "probe"):
            assert 0.0 <= run[key] <= 1.0
        assert len(run["curve"]) == ns["EPOCHS"]
    hpn = [run for run in ns["runs"] if run["loss"] == "HPN"]
    assert all(run["prototypes"].shape == (5, ns["DIMS"]) for run in hpn)
    assert all(run["outputs"].shape == (len(ns["held_out"][1]), 4) for run in hpn)
    cka = ns["cka"]
    np.testing.assert_allclose(np.diag(cka), 1.0, atol=1e-9)
    assert np.all((0.0 <= cka) & (cka <= 1.0))


CHECKS = {
    "01_quickstart.ipynb": check_quickstart,
    "02_prototypes.ipynb": check_prototypes,
    "03_regression_and_multitask.ipynb": check_regression,
    "04_tuning.ipynb": check_tuning,
    "05_representations.ipynb": check_representations,
}


def _require_fashion_mnist():
    """Skips where Fashion-MNIST is absent, unless KERAS_HPN_REQUIRE_DATA=1
    (CI): then the test fails here, before anything could download."""
    from keras_hpn import data

    if data.fashion_mnist_available():
        return
    if os.environ.get("KERAS_HPN_REQUIRE_DATA") == "1":
        data.fashion_mnist(download=False)  # raises, naming how to install it
    pytest.skip(
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"
    )


def read(name):
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def text(cell):
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def parameters_cells(notebook):
    return [
        cell
        for cell in notebook["cells"]
        if "parameters" in cell.get("metadata", {}).get("tags", [])
    ]


def smoke_code(notebook, extra=""):
    """The code cells in order, the parameters cell switched to smoke mode
    (`SMOKE = True`, then `extra` appended to the cell)."""
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = text(cell)
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = SMOKE_OFF.sub("SMOKE = True", source) + extra
        cells.append(source)
    return cells


def test_every_notebook_is_checked():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_notebook_structure(name):
    notebook = read(name)
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    cells = notebook["cells"]
    assert cells[0]["cell_type"] == "markdown"
    # Unpublished: no badge to a repository that does not exist, a note instead.
    assert "colab-badge" not in text(cells[0])
    assert "KERAS_HPN_SOURCE" in text(cells[0])
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert text(code[0]) == PUBLISH["install_cell"](None)
    for cell in code:
        assert not MAGIC.search(text(cell)), "plain Python only, no IPython magics"
    tagged = parameters_cells(notebook)
    assert len(tagged) == 1 and tagged[0]["cell_type"] == "code"
    assert len(SMOKE_OFF.findall(text(tagged[0]))) == 1
    assert code.index(tagged[0]) == 1  # right after the install cell


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_runtime_hint_is_true(name):
    """A GPU runtime for the notebooks that train on images, the CPU runtime
    for those on numpy and scikit-learn's data; never both."""
    notebook = read(name)
    first = text(notebook["cells"][0])
    gpu = name in ("01_quickstart.ipynb", "05_representations.ipynb")
    assert PUBLISH["runtime"](name) == ("GPU" if gpu else "CPU")
    hints = [hint for hint in PUBLISH["RUNTIMES"].values() if hint in first]
    assert hints == [PUBLISH["RUNTIMES"]["GPU" if gpu else "CPU"]]
    assert notebook["metadata"].get("accelerator") == ("GPU" if gpu else None)
    if not gpu:
        assert "GPU runtime" not in first and "Pick a GPU" not in first


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_saved_outputs_come_from_the_code_cells(name):
    """Every code cell ran once, in order, without an error; the run recorded
    the digest of exactly these code cells; its time is in the notebook."""
    path = NOTEBOOKS / name
    notebook = read(name)
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    counts = [cell["execution_count"] for cell in code]
    assert counts == list(range(1, len(code) + 1)), "run top to bottom, once"
    outputs = [output for cell in code for output in cell["outputs"]]
    assert not [output for output in outputs if output["output_type"] == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert images, "the saved run shows its plots"
    run = notebook["metadata"]["keras_hpn_run"]
    assert run["code_sha256"] == EXECUTE["code_digest"](notebook), (
        f"{name}: the code cells changed after the saved run; re-execute it "
        f"with `python notebooks/execute.py {name}`"
    )
    records = [
        cell
        for cell in notebook["cells"]
        if "run-record" in cell.get("metadata", {}).get("tags", [])
    ]
    assert len(records) == 1 and records[0]["cell_type"] == "markdown"
    assert text(records[0]) == EXECUTE["record_text"](run)
    assert 0 < run["seconds"] < 900  # a few minutes on 2 CPU cores
    assert path.stat().st_size < MAX_BYTES


def test_code_digest_sees_every_code_cell_but_the_install_cell():
    notebook = read("03_regression_and_multitask.ipynb")
    digest = EXECUTE["code_digest"](notebook)
    changed = json.loads(json.dumps(notebook))
    code = [cell for cell in changed["cells"] if cell["cell_type"] == "code"]
    code[-1]["source"] = text(code[-1]) + "\n"
    assert EXECUTE["code_digest"](changed) != digest
    published = json.loads(
        PUBLISH["rendered"](NOTEBOOKS / "03_regression_and_multitask.ipynb", "a/b")
    )
    assert EXECUTE["code_digest"](published) == digest


def test_notebooks_are_what_publish_writes():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        assert path.read_text(encoding="utf-8") == PUBLISH["rendered"](path, None), (
            f"{path.name} differs from `python notebooks/publish.py`"
        )


def test_publishing_adds_the_badge_and_the_source(tmp_path):
    path = NOTEBOOKS / "02_prototypes.ipynb"
    published = json.loads(PUBLISH["rendered"](path, "someone/keras-hpn"))
    first = text(published["cells"][0])
    assert (
        "(https://colab.research.google.com/github/someone/keras-hpn/blob/main/"
        "notebooks/02_prototypes.ipynb)" in first
    )
    install = text(published["cells"][1])
    assert '"git+https://github.com/someone/keras-hpn@main"' in install
    # Publishing twice changes nothing; unpublishing gives the committed file.
    (tmp_path / path.name).write_text(json.dumps(published, indent=1) + "\n")
    again = PUBLISH["rendered"](tmp_path / path.name, "someone/keras-hpn")
    assert json.loads(again) == published
    back = PUBLISH["rendered"](tmp_path / path.name, None)
    assert json.loads(back) == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("source", ["", "wheel"])
def test_install_cell_without_keras_hpn(source, tmp_path, monkeypatch):
    """Where keras-hpn is missing: a clear error, or pip from KERAS_HPN_SOURCE."""
    calls = []
    monkeypatch.setattr(subprocess, "check_call", calls.append)
    monkeypatch.setitem(__import__("sys").modules, "keras_hpn", None)  # missing
    wheel = tmp_path / "keras_hpn-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    monkeypatch.setenv("KERAS_HPN_SOURCE", str(wheel) if source else "")
    code = PUBLISH["install_cell"](None)
    with pytest.raises((RuntimeError, ImportError)) as raised:
        exec(compile(code, "install cell", "exec"), {})  # noqa: S102
    if not source:
        assert "KERAS_HPN_SOURCE" in str(raised.value) and calls == []
    else:  # pip was asked for the wheel, then the import fails (mocked pip)
        assert calls[0][-1] == (
            f"keras-hpn[tuning,tfds,semantic,plots] @ {wheel.as_uri()}"
        )


# (notebook, parameters set after `SMOKE = True`): notebook 05 also runs its
# Colab path (CIFAR-10 and a ResNet), on the tfds mock; notebook 01 also runs
# on Fashion-MNIST, on the real files.
# (notebook, parameters set after `SMOKE = True`): without a GPU notebooks 01
# and 05 run on Fashion-MNIST (real files); each also runs its Colab path
# (CIFAR and a ResNet) on the tfds mock.
RUNS = [(name, {}) for name in sorted(CHECKS)] + [
    ("05_representations.ipynb", {"DATASET": "cifar10"}),
    ("01_quickstart.ipynb", {"DATASET": "cifar100"}),
]
FASHION = ("01_quickstart.ipynb", "05_representations.ipynb")


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the notebooks run once, in the TensorFlow pass",
)
@pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive")
@pytest.mark.parametrize(
    "name, overrides",
    RUNS,
    ids=[name + "".join(f"-{v}" for v in o.values()) for name, o in RUNS],
)
def test_notebook_runs_in_smoke_mode(name, overrides, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def no_install(*args, **kwargs):
        raise AssertionError(f"the notebook tried to install something: {args}")

    monkeypatch.setattr(subprocess, "check_call", no_install)
    if name in FASHION and "DATASET" not in overrides:
        _require_fashion_mnist()
    extra = "".join(f"\n{key} = {value!r}" for key, value in overrides.items())
    namespace = {"__name__": "__main__"}
    try:
        for index, source in enumerate(smoke_code(read(name), extra)):
            exec(compile(source, f"{name}[cell {index}]", "exec"), namespace)  # noqa: S102
        assert namespace["SMOKE"] is True
        for key, value in overrides.items():
            assert namespace[key] == value
        CHECKS[name](namespace)
    finally:
        plt.close("all")
        if "smoke" in namespace:  # the tfds mock, if a failing cell left it open
            namespace["smoke"].close()
        keras.utils.clear_session()


def test_notebooks_use_the_public_api_only():
    """No notebook builds its model from keras-hpn's benchmark internals."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        code = "".join(
            "".join(cell["source"])
            for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"
        )
        assert "keras_hpn.benchmarks" not in code, path.name
