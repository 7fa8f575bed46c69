import pytest

from keras_hpn import cli


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
