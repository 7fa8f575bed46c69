"""Writes the Colab parts of the notebooks: the badge, the note and the install cell.

    python notebooks/publish.py                       # unpublished (committed)
    python notebooks/publish.py --repository OWNER/NAME

keras-hpn is not on PyPI yet, so a notebook on Colab installs it from
`KERAS_HPN_SOURCE`, set in its first code cell: the project's git URL or a
wheel uploaded to the Colab session. Unpublished, the notebooks carry no
badge (it would point at a repository that does not exist) and the source is
empty, so the install cell says what to set. When the repository is public,
the publishing step (CONTRIBUTING.md) runs this script with `--repository`:
every notebook then gets an "Open in Colab" badge for that repository and
installs from it. `tests/test_notebooks.py` checks that the notebooks are
exactly what this script writes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent
EXTRAS = "tuning,tfds,semantic,plots"
COLAB = (
    "https://colab.research.google.com/github/{repository}/blob/main/notebooks/{name}"
)
BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
NOTE_PREFIX = "On Colab:"
# The runtime each notebook asks for: a GPU where it trains on images, a CPU
# where everything is numpy or scikit-learn's small data sets.
GPU_NOTEBOOKS = ("01_quickstart.ipynb", "05_representations.ipynb")
RUNTIMES = {
    "GPU": "Pick a GPU runtime (*Runtime > Change runtime type*) before running "
    "all cells.",
    "CPU": "The default CPU runtime is enough: nothing here gains from a GPU.",
}
PUBLISHED_NOTE = (
    f"{NOTE_PREFIX} the badge opens this notebook from `github.com/{{repository}}` "
    "(branch `main`), and the first cell installs keras-hpn from there. "
    "{runtime}"
)
UNPUBLISHED_NOTE = (
    f"{NOTE_PREFIX} upload this notebook (*File > Upload notebook*) and set "
    "`KERAS_HPN_SOURCE` in the first code cell to where pip can find keras-hpn, "
    "which is not on PyPI yet: the project's git URL "
    "(`git+https://github.com/<owner>/keras-hpn@main`) or a wheel uploaded to "
    "the session (`pip wheel --no-deps .` in a checkout builds it). {runtime}"
)
INSTALL = """# Installs keras-hpn where it is missing (e.g. on Colab). It is not on PyPI
# yet: KERAS_HPN_SOURCE says where pip finds it, a git URL or a wheel file.
import os
import subprocess
import sys
from pathlib import Path

KERAS_HPN_SOURCE = os.environ.get("KERAS_HPN_SOURCE", {source})

try:
    import keras_hpn
except ImportError:
    if not KERAS_HPN_SOURCE:
        raise RuntimeError(
            "keras-hpn is not installed here, and not on PyPI yet. Set "
            "KERAS_HPN_SOURCE in this cell to the project's git URL, e.g. "
            "'git+https://github.com/<owner>/keras-hpn@main', or to the path of "
            "a keras-hpn wheel you uploaded, then run the cell again."
        ) from None
    if Path(KERAS_HPN_SOURCE).exists():  # a wheel or a checkout on this machine
        KERAS_HPN_SOURCE = Path(KERAS_HPN_SOURCE).resolve().as_uri()
    requirement = f"keras-hpn[{extras}] @ {{KERAS_HPN_SOURCE}}"
    subprocess.check_call([sys.executable, "-m", "pip", "install", requirement])
    import keras_hpn"""


def install_cell(repository: str | None) -> str:
    """The source of the install cell (the notebooks' first code cell)."""
    source = f"git+https://github.com/{repository}@main" if repository else ""
    return INSTALL.format(source=json.dumps(source), extras=EXTRAS)


def runtime(name: str) -> str:
    """`"GPU"` or `"CPU"`: the Colab runtime the notebook `name` asks for."""
    return "GPU" if name in GPU_NOTEBOOKS else "CPU"


def introduction(text: str, name: str, repository: str | None) -> str:
    """The first markdown cell with the badge and the note for `repository`."""
    kept = [
        paragraph
        for paragraph in text.split("\n\n")
        if not paragraph.startswith((BADGE, NOTE_PREFIX))
    ]
    title, body = kept[0], kept[1:]
    hint = RUNTIMES[runtime(name)]
    if repository is None:
        return "\n\n".join([title, *body, UNPUBLISHED_NOTE.format(runtime=hint)])
    link = f"{BADGE}({COLAB.format(repository=repository, name=name)})"
    note = PUBLISHED_NOTE.format(repository=repository, runtime=hint)
    return "\n\n".join([title, link, *body, note])


def rendered(path: Path, repository: str | None) -> str:
    """The text of the notebook at `path` with its Colab parts for `repository`."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook["cells"]
    first = "".join(cells[0]["source"])
    cells[0]["source"] = _lines(introduction(first, path.name, repository))
    install = next(cell for cell in cells if cell["cell_type"] == "code")
    install["source"] = _lines(install_cell(repository))
    # Colab opens the notebook on the runtime its metadata names.
    notebook["metadata"].pop("accelerator", None)
    if runtime(path.name) == "GPU":
        notebook["metadata"]["accelerator"] = "GPU"
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repository", help="OWNER/NAME of the public GitHub repository"
    )
    args = parser.parse_args(argv)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        path.write_text(rendered(path, args.repository), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
