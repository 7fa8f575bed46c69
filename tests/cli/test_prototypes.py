import argparse

import numpy as np
import pytest

from keras_hpn.cli import prototypes as command
from keras_hpn.prototypes import io, semantic

pytestmark = pytest.mark.once  # backend-independent: first pass only


def run(argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


def test_closed_form_run_prints_separation(tmp_path, capsys):
    out = tmp_path / "p.npz"
    assert run(["--classes", "100", "--dims", "50", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "100 prototypes in 50 dims: largest cosine 0.000000" in printed
    assert printed.splitlines()[0].endswith("method cross_polytope")
    prototypes, _, metadata = io.load_prototypes(out)
    assert prototypes.shape == (100, 50) and metadata["method"] == "auto"
    assert metadata["method_used"] == "cross_polytope"


def test_code_run_records_the_winning_code(tmp_path, capsys):
    out = tmp_path / "p.npz"
    assert run(["--classes", "1000", "--dims", "64", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "largest cosine 0.125000" in printed
    assert "lower bound 0.091639 (gap 0.033361)" in printed
    assert "method code (extended BCH [64, 10, 28])" in printed
    _, _, metadata = io.load_prototypes(out)
    assert metadata["method"] == "auto" and metadata["method_used"] == "code"
    assert metadata["construction"] == "extended BCH [64, 10, 28]"
    assert metadata["gap"] == pytest.approx(0.125 - metadata["lower_bound"])


def test_semantic_run_with_names_and_word_vectors(tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("oak_tree\npine_tree\nshark\ntrout\nbus\ntrain\n")
    out = tmp_path / "p.npz"
    status = run(
        [
            "--dims",
            "2",
            "--out",
            str(out),
            "--names",
            str(names),
            "--word-vectors",
            semantic.BUNDLED_WORD_VECTORS,
            "--steps",
            "300",
        ]
    )
    assert status == 0
    prototypes, saved_names, metadata = io.load_prototypes(out)
    assert saved_names[0] == "oak_tree" and metadata["method"] == "semantic"
    assert np.all(np.isfinite(prototypes))
    printed = capsys.readouterr().out
    assert "6 prototypes in 2 dims" in printed and "method semantic" in printed


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--classes", "1", "--dims", "3"], "num_classes"),
        (["--classes", "5", "--dims", "1"], "dims"),
        (["--dims", "3"], "--classes"),
    ],
)
def test_bad_input_returns_2_with_message(tmp_path, capsys, argv, message):
    assert run([*argv, "--out", str(tmp_path / "p.npz")]) == 2
    assert message in capsys.readouterr().err


def test_unknown_names_listed(tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("oak_tree\nflux_capacitor\n")
    status = run(
        [
            "--dims",
            "2",
            "--out",
            str(tmp_path / "p.npz"),
            "--names",
            str(names),
            "--word-vectors",
            semantic.BUNDLED_WORD_VECTORS,
        ]
    )
    assert status == 2
    assert "flux_capacitor" in capsys.readouterr().err
