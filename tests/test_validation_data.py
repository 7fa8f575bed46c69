"""No documented training or search validates on a test split.

A search keeps the model that scores best on `validation_data`: validated on
the test split, the test score it then reports is selected, hence optimistic.
The validation data comes from the training data; the test split is touched
once, at the end. This scans the code the project shows its users: the
fenced blocks of README.md and docs/**/*.md, the notebooks' code cells, the
docstring examples and the code of keras_hpn/ and bench/.
"""

import ast
import json
import re
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # backend-independent: first pass only

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^[ \t]*```[a-z]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)
TEST_WORD = re.compile(r"test", re.IGNORECASE)


def test_splits_in_validation_data(source: str) -> list[str]:
    """The `validation_data=` arguments of `source` that name a test split."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a shell block or a sketch with `...`: not Python
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg != "validation_data":
                continue
            names = [
                part.id
                if isinstance(part, ast.Name)
                else part.attr
                if isinstance(part, ast.Attribute)
                else part.value
                for part in ast.walk(keyword.value)
                if isinstance(part, ast.Name | ast.Attribute)
                or (isinstance(part, ast.Constant) and isinstance(part.value, str))
            ]
            if any(TEST_WORD.search(name) for name in names):
                found.append(ast.unparse(keyword))
    return found


test_splits_in_validation_data.__test__ = False  # a helper, not a test


def code_shown_to_users():
    """(where, source) for each piece of code the project shows its users."""
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for path in documents:
        for index, block in enumerate(FENCE.findall(path.read_text())):
            yield f"{path.relative_to(ROOT)}[block {index}]", block
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                yield f"{path.name}[cell {index}]", MAGIC.sub("", source)
    for path in sorted(
        [*(ROOT / "keras_hpn").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    ):
        text = path.read_text()
        name = str(path.relative_to(ROOT))
        yield name, text
        for index, block in enumerate(FENCE.findall(text)):
            yield f"{name}[example {index}]", textwrap.dedent(block)


def test_the_checker_finds_a_test_split():
    flagged = [
        "tuner.search(x, y, validation_data=(split.x_test, split.y_test))",
        "model.fit(train, validation_data=test, epochs=2)",
        "model.fit(x, y, validation_data=(x_test, y_test))",
        'model.fit(x, y, validation_data=data.cifar("cifar10", "test"))',
    ]
    for source in flagged:
        assert len(test_splits_in_validation_data(source)) == 1, source
    fine = [
        "tuner.search(x_fit, y_fit, validation_data=(x_val, y_val))",
        'model.fit(x, y, validation_data=data.cifar("cifar10", "train[90%:]"))',
        "model.evaluate(x_test, y_test)",
        "make run  # not python",
    ]
    for source in fine:
        assert test_splits_in_validation_data(source) == [], source


def test_no_documented_fit_or_search_validates_on_a_test_split():
    places = list(code_shown_to_users())
    assert any(where.startswith("docs/tuning.md") for where, _ in places)
    assert any(where.startswith("docs/losses/") for where, _ in places)
    assert any(where.startswith("04_tuning.ipynb") for where, _ in places)
    offending = {
        where: found
        for where, source in places
        if (found := test_splits_in_validation_data(source))
    }
    assert offending == {}
