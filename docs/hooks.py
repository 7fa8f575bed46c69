"""mkdocs hooks: pages that live outside docs/ join the site.

README.md becomes the home page, with its links to `docs/...` made relative
to the site (on GitHub they stay as they are); CHANGELOG.md and
CONTRIBUTING.md keep their names; the notebooks are added under
`notebooks/` before mkdocs-jupyter renders them (their committed outputs,
never executed here).
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
# `](docs/guide.md#x)` in README.md is `](guide.md#x)` on the site.
DOCS_LINK = re.compile(r"\]\(docs/")


def home_page(readme: str) -> str:
    """README.md's text with its links to docs/ pointing into the site."""
    return DOCS_LINK.sub("](", readme)


# Before mkdocs-jupyter's own `on_files` (priority 0), which wraps notebooks.
@event_priority(50)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(
        File.generated(
            config, "index.md", content=home_page((ROOT / "README.md").read_text())
        )
    )
    # Real files read from the repository root (mkdocs-jupyter needs their
    # `abs_src_path`, which a generated file does not give it).
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in ["CHANGELOG.md", "CONTRIBUTING.md", *notebooks]:
        files.append(
            File(
                str(Path(path).relative_to(ROOT) if Path(path).is_absolute() else path),
                src_dir=str(ROOT),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files
