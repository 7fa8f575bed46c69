import json
import os
import urllib.error

import pytest

import keras_hpn
from keras_hpn import cli

pytestmark = pytest.mark.once  # backend-independent: first pass only


def test_digits_job(capsys):
    assert cli.main(["digits", "--epochs", "1", "--seeds", "1", "--dims", "10"]) == 0
    out = capsys.readouterr().out
    assert "HPN vs softmax cross-entropy" in out
    table = out.split("test accuracy (mean +- std)")[1]
    rows = {
        line.split()[0]: float(line.split()[3]) for line in table.strip().splitlines()
    }
    assert set(rows) == {"hpn", "softmax"}
    assert all(0.0 <= value <= 1.0 for value in rows.values())


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    assert "digits" in capsys.readouterr().out


def test_prototypes_command_prints_separation_and_saves(tmp_path, capsys):
    out = tmp_path / "p.npz"
    assert (
        cli.main(["prototypes", "--classes", "12", "--dims", "6", "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    # 12 <= 2 * 6: the cross-polytope, largest cosine exactly 0.
    assert "12 prototypes in 6 dims: largest cosine" in printed
    assert "known optimum 0.000000" in printed
    import keras_hpn

    prototypes, _, metadata = keras_hpn.prototypes.load_prototypes(out)
    assert prototypes.shape == (12, 6)
    assert metadata["dims"] == 6


def test_no_command_prints_the_help_and_starts_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main([]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("usage: keras-hpn")
    for name in ("benchmark", "digits", "prototypes"):
        assert f"    {name}  " in printed
    assert "(default)" not in printed  # no command is run by default
    assert list(tmp_path.iterdir()) == []  # no benchmark started: no hpn-results/
    # Options without a command are refused (exit 2), not run as the benchmark.
    with pytest.raises(SystemExit) as stop:
        cli.main(["--quick"])
    assert stop.value.code == 2
    assert "required: {benchmark,digits,prototypes}" in capsys.readouterr().err


def test_benchmark_command_runs_the_benchmark(tmp_path, capsys):
    arguments = ["--quick", "--items", "regression", "--out", str(tmp_path)]
    assert cli.main(["benchmark", *arguments]) == 0
    printed = capsys.readouterr().out
    assert "Diabetes test MAE" in printed and "quick mode" in printed
    assert (tmp_path / "results.json").exists()


def test_benchmark_prints_the_published_rows(tmp_path, capsys):
    status = cli.main(
        ["benchmark", "--quick", "--items", "published", "--out", str(tmp_path)]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "image items on Fashion-MNIST (mlp)" in printed
    assert "published  MLP 256-128-100" in printed
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["published"]["rows"][0]["accuracy"] == 0.8833


def test_benchmark_refuses_what_cannot_run(tmp_path, capsys):
    assert (
        cli.main(["benchmark", "--model", "cnn", "--dataset", "digits", "--quick"]) == 2
    )
    assert "--model cnn needs --dataset fashion_mnist" in capsys.readouterr().out
    arguments = ["--dataset", "digits", "--items", "published", "--out", str(tmp_path)]
    assert cli.main(["benchmark", "--quick", *arguments]) == 2
    assert "need dataset='fashion_mnist'" in capsys.readouterr().err


def test_benchmark_without_the_data_says_how_to_install_it(
    tmp_path, monkeypatch, capsys
):
    from keras_hpn.data import fashion

    def no_download(url, *args, **kwargs):
        raise urllib.error.URLError(f"tests never download ({url})")

    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", no_download)
    monkeypatch.setattr("keras.src.backend.config._KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", str(tmp_path / "not-installed"))
    fashion._arrays.cache_clear()
    try:
        status = cli.main(
            ["benchmark", "--quick", "--items", "dims", "--out", str(tmp_path)]
        )
    finally:
        fashion._arrays.cache_clear()
    assert status == 1
    error = capsys.readouterr().err
    assert "apt-get install dataset-fashion-mnist" in error
    assert str(tmp_path / "datasets" / "fashion-mnist") in error


@pytest.mark.slow
def test_benchmark_dims_on_fashion_mnist_in_quick_mode(tmp_path, capsys):
    from keras_hpn import data

    required = os.environ.get("KERAS_HPN_REQUIRE_DATA") == "1"
    if not data.fashion_mnist_available() and not required:
        pytest.skip(
            "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"
        )
    data.fashion_mnist(train_size=100, download=False)  # fails here in CI if absent
    arguments = [
        "benchmark",
        "--quick",
        "--items",
        "dims",
        "--dims",
        "2",
        "--epochs",
        "2",
    ]
    assert cli.main([*arguments, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "MLP body (32 ReLU), 2 epochs, 1,000 of the 60,000" in printed
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["settings"]["dims"] == [2]
    assert set(stored["dims"]) == {"hpn/2", "hpn_semantic/2", "softmax/2", "cosine/2"}


def test_version(capsys):
    import keras_hpn

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"keras-hpn {keras_hpn.__version__}"


@pytest.fixture
def stub_items(monkeypatch):
    """Items 'regression' (result {'mae': 1.5}) and 'multitask' (raises) that
    train nothing; tables and plots stubbed so that the suite runs in ms."""
    from types import SimpleNamespace

    from keras_hpn.benchmarks import suite

    calls = []

    def done(settings, progress):
        calls.append("regression")
        return {"mae": 1.5}

    def crash(settings, progress):
        calls.append("multitask")
        raise RuntimeError("item crashed")

    for item, run in (("regression", done), ("multitask", crash)):
        monkeypatch.setitem(
            suite.RUNNERS, item, SimpleNamespace(runs=lambda settings: 0, run=run)
        )
    monkeypatch.setattr(suite.report, "tables", lambda results: "TABLES")
    monkeypatch.setattr(suite.report, "plot", lambda results, directory: [])
    return calls


def test_benchmark_out_is_checked_before_any_work(tmp_path, capsys, stub_items):
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me")
    cases = [
        (a_file, "which is a file"),
        (a_file / "sub", f"lies under the file {a_file}"),
        ("/sys/keras-hpn-results", "`out` must be a folder that can be created"),
    ]
    for out, message in cases:
        argv = ["benchmark", "--quick", "--dataset", "digits", "--items", "regression"]
        assert cli.main([*argv, "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert message in captured.err and "Traceback" not in captured.err
        assert "keras-hpn benchmark:" not in captured.out  # refused before the header
    assert stub_items == [] and a_file.read_text() == "keep me"


def test_benchmark_keeps_an_existing_results_json(tmp_path, capsys, stub_items):
    (tmp_path / "results.json").write_text('{"three": "days"}')
    argv = ["benchmark", "--quick", "--dataset", "digits", "--items", "regression"]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert stub_items == []
    assert json.loads((tmp_path / "results.json").read_text()) == {"three": "days"}
    assert cli.main([*argv, "--out", str(tmp_path), "--overwrite"]) == 0
    assert json.loads((tmp_path / "results.json").read_text())["regression"] == {
        "mae": 1.5
    }


def test_results_json_keeps_the_items_done_before_a_crash(tmp_path, stub_items):
    from keras_hpn.benchmarks import suite

    settings = suite.Settings.quick("digits")
    with pytest.raises(RuntimeError, match="item crashed"):
        suite.run(settings, ["regression", "multitask"], out=tmp_path, stream=None)
    assert stub_items == ["regression", "multitask"]
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["regression"] == {"mae": 1.5} and "multitask" not in stored
    assert list(stored["item_seconds"]) == ["regression"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results.json"]


def test_prototypes_command_keeps_an_existing_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "p.npz"
    out.write_bytes(b"an earlier placement")
    argv = ["prototypes", "--classes", "4", "--dims", "3", "--out", str(out)]
    assert cli.main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"an earlier placement"
    assert cli.main([*argv, "--overwrite"]) == 0
    import keras_hpn

    assert keras_hpn.prototypes.load_prototypes(out)[0].shape == (4, 3)


def test_prototypes_command_checks_out_before_placing(tmp_path, capsys, monkeypatch):
    from keras_hpn.cli import prototypes as command

    def no_placement(*args, **kwargs):
        raise AssertionError("placed prototypes before checking --out")

    monkeypatch.setattr(command, "place", no_placement)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    (tmp_path / "folder.npz").mkdir()
    cases = [
        (a_file / "p.npz", f"lies under the file {a_file}"),
        (tmp_path / "missing" / "p.npz", "must be in an existing folder"),
        (tmp_path / "folder.npz", "not a folder"),
    ]
    for out, message in cases:
        argv = ["prototypes", "--classes", "400", "--dims", "30", "--out", str(out)]
        assert cli.main(argv) == 2
        assert message in capsys.readouterr().err


def test_prototypes_command_refuses_a_run_of_days(tmp_path, capsys):
    # Issue 17: `--classes 2000000 --dims 3` once started weeks of optimising.
    out = tmp_path / "p.npz"
    argv = ["prototypes", "--classes", "2000000", "--dims", "3", "--out", str(out)]
    assert cli.main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("keras-hpn prototypes: error: Placing num_classes=2000000")
    assert "about 18 days" in error and "Traceback" not in error
    assert not out.exists()
    # --max-seconds sets the limit: a small run refused, then allowed with 0.
    small = ["prototypes", "--classes", "30", "--dims", "3", "--steps", "5"]
    assert cli.main([*small, "--out", str(out), "--max-seconds", "1e-9"]) == 2
    assert "max_seconds=1e-09" in capsys.readouterr().err
    assert cli.main([*small, "--out", str(out), "--max-seconds", "0"]) == 0
    assert out.exists()


def test_prototypes_command_passes_the_effort_on(tmp_path, monkeypatch):
    from keras_hpn.cli import prototypes as command

    seen = []
    placing = command.place

    def spy(*args, **kwargs):
        seen.append(kwargs["effort"])
        return placing(*args, **kwargs)

    monkeypatch.setattr(command, "place", spy)
    small = ["prototypes", "--classes", "30", "--dims", "3", "--steps", "5"]
    assert cli.main([*small, "--out", str(tmp_path / "a.npz")]) == 0
    best = [*small, "--effort", "best", "--out", str(tmp_path / "b.npz")]
    assert cli.main(best) == 0
    assert seen == ["fast", "best"]


def test_python_dash_m_runs_the_command():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "keras_hpn.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"keras-hpn {keras_hpn.__version__}"
