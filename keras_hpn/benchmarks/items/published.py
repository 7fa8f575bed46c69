"""Item `published`: published Fashion-MNIST test accuracies to place ours by.

The rows come from the benchmark table of the Fashion-MNIST README
(zalandoresearch/fashion-mnist, "submitted benchmarks", which its
maintainers note they have not re-run). Debian's `dataset-fashion-mnist`
ships that README as `/usr/share/doc/dataset-fashion-mnist/README.md.gz`;
where it is present, each row is checked against it. (The package's
`benchmark/baselines.json` holds the parameter grids of the maintainers'
scikit-learn benchmark, not accuracies.) Nothing is trained.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from keras_hpn.benchmarks.common import Settings
from keras_hpn.utils.progress import ProgressBar

README = Path("/usr/share/doc/dataset-fashion-mnist/README.md.gz")
SOURCE = "github.com/zalandoresearch/fashion-mnist README, Benchmark table"

# (model, preprocessing, Fashion-MNIST test accuracy, submitter), verbatim.
ROWS = (
    ("MLP 256-128-100", "None", 0.8833, "@heitorrapela"),
    ("XgBoost", "scaling the pixel values to mean=0.0 and var=1.0", 0.898, None),
    ("2 Conv+pooling", "None", 0.916, "Tensorflow's doc"),
    ("HOG+SVM", "HOG", 0.926, "@subalde"),
    (
        "ResNet18",
        "Normalization, random horizontal flip, random vertical "
        "flip, random translation, random rotation.",
        0.949,
        "Kyriakos Efthymiadis",
    ),
    ("Human Performance", None, 0.835, "Leo"),
)

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def runs(settings: Settings) -> int:
    return 0


def readme_rows(path: Path = README) -> list[tuple[str, str, float, str]]:
    """`(model, preprocessing, accuracy, submitter)` of every row of the
    README's benchmark table."""
    with gzip.open(path, "rt", encoding="utf-8") as text:
        lines = text.read().splitlines()
    rows = []
    for line in lines:
        cells = [_LINK.sub(r"\1", cell).strip() for cell in line.split("|")[1:-1]]
        if len(cells) >= 5 and re.fullmatch(r"0\.\d+", cells[2]):
            rows.append((cells[0], cells[1], float(cells[2]), cells[4]))
    return rows


def run(settings: Settings, progress: ProgressBar) -> dict:
    """`{"source", "checked_against", "not_found", "rows": [{"model",
    "preprocessing", "accuracy", "submitter"}]}`: `checked_against` is the
    shipped README where every row was found in it, else `None`;
    `not_found` lists the models it lacks."""
    checked, not_found = None, []
    if README.is_file():
        table = readme_rows(README)
        not_found = [row[0] for row in ROWS if not _listed(row, table)]
        checked = None if not_found else str(README)
    return {
        "source": SOURCE,
        "checked_against": checked,
        "not_found": not_found,
        "rows": [
            {
                "model": model,
                "preprocessing": preprocessing,
                "accuracy": accuracy,
                "submitter": submitter,
            }
            for model, preprocessing, accuracy, submitter in ROWS
        ],
    }


def _listed(row, table) -> bool:
    model, preprocessing, accuracy, submitter = row
    return any(
        cells[0] == model
        and cells[2] == accuracy
        and (preprocessing is None or cells[1] == preprocessing)
        and (submitter is None or cells[3].startswith(submitter))
        for cells in table
    )
