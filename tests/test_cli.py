import json
import os
import urllib.error

import pytest

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


def test_default_command_is_the_benchmark(tmp_path, capsys):
    status = cli.main(["--quick", "--items", "regression", "--out", str(tmp_path)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "Diabetes test MAE" in printed and "quick mode" in printed
    assert (tmp_path / "results.json").exists()


def test_benchmark_prints_the_published_rows(tmp_path, capsys):
    status = cli.main(["--quick", "--items", "published", "--out", str(tmp_path)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "image items on Fashion-MNIST (mlp)" in printed
    assert "published  MLP 256-128-100" in printed
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["published"]["rows"][0]["accuracy"] == 0.8833


def test_benchmark_refuses_what_cannot_run(tmp_path, capsys):
    assert cli.main(["--model", "cnn", "--dataset", "digits", "--quick"]) == 2
    assert "--model cnn needs --dataset fashion_mnist" in capsys.readouterr().out
    arguments = ["--dataset", "digits", "--items", "published", "--out", str(tmp_path)]
    assert cli.main(["--quick", *arguments]) == 2
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
        status = cli.main(["--quick", "--items", "dims", "--out", str(tmp_path)])
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
    arguments = ["--quick", "--items", "dims", "--dims", "2", "--epochs", "2"]
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


def test_prototypes_command_needs_no_keras():
    """`keras-hpn prototypes` places prototypes without importing Keras."""
    import subprocess
    import sys

    code = (
        "import sys; from keras_hpn import cli; "
        "cli.main(['prototypes', '--classes', '6', '--dims', '3', '--out', "
        "sys.argv[1]]); "
        "print([m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules])"
    )
    import tempfile

    out = os.path.join(tempfile.mkdtemp(), "p.npz")
    done = subprocess.run(
        [sys.executable, "-c", code, out], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


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
