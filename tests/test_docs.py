"""Every ```python block of README.md and docs/**/*.md runs as written.

Blocks of one file share a namespace, like cells of a notebook, which starts
with `x_train, y_train, x_test, y_test` from scikit-learn's digits (the data
the README's example is written for). Blocks fenced as ```bash or plain ```
are shell commands or multi-host sketches and are not run.
"""

import re
from pathlib import Path

import pytest

import keras_hpn

pytestmark = pytest.mark.once  # backend-independent: first pass only

ROOT = Path(__file__).resolve().parent.parent
# docs/your_data.md needs a folder of images: tests/test_your_data.py runs it.
DOCUMENTS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").rglob("*.md") if p.name != "your_data.md"),
]
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(path):
    return FENCE.findall(path.read_text())


def test_documents_have_examples():
    assert python_blocks(ROOT / "README.md")
    assert python_blocks(ROOT / "docs" / "distribution.md")
    # Each loss and metric page shows a runnable example.
    for folder in ("losses", "metrics"):
        pages = sorted((ROOT / "docs" / folder).glob("*.md"))
        assert len(pages) > 1
        for page in pages:
            if page.name != "index.md":
                assert python_blocks(page), f"{page} has no python example"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_relative_links_resolve_in_the_repository():
    """Links read on GitHub (README.md, docs/, the changelog) point to files
    that exist; `mkdocs build --strict` checks the same links on the site."""
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "CONTRIBUTING.md"]
    broken = []
    for page in [*pages, *(ROOT / "docs").rglob("*.md")]:
        for link in LINK.findall(page.read_text()):
            if link.startswith(("http://", "https://", "#", "mailto:")):
                continue
            if not (page.parent / link.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {link}")
    assert not broken


def test_every_plot_is_shown():
    """Each image in docs/img/ is on a page of the site (mkdocs copies the
    folder whole, so an image no page shows is only dead weight)."""
    pages = "".join(path.read_text() for path in (ROOT / "docs").rglob("*.md"))
    images = sorted((ROOT / "docs" / "img").glob("*.png"))
    assert images
    missing = [image.name for image in images if f"img/{image.name})" not in pages]
    assert not missing, f"no page shows {missing}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [path for path in DOCUMENTS if python_blocks(path)],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_document_runs(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    split = keras_hpn.data.digits(seed=0)
    namespace = {
        "x_train": split.x_train,
        "y_train": split.y_train,
        "x_test": split.x_test,
        "y_test": split.y_test,
    }
    for index, block in enumerate(python_blocks(path)):
        code = compile(block, f"{path.name}[block {index}]", "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation
