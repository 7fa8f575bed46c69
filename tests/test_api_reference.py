"""docs/api.md is exactly what docs/make_api.py writes from the docstrings."""

import runpy
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_api_reference_is_up_to_date():
    render = runpy.run_path(str(DOCS / "make_api.py"))["render"]
    expected = render()
    assert (DOCS / "api.md").read_text() == expected, (
        "docs/api.md is stale: run `python docs/make_api.py`"
    )
    for name in ("PrototypeCosineLoss", "L2NormalizedProjection", "hyperspherical"):
        assert f"`{name}(" in expected
