"""Thin views and short functions (issue 11): no view over 40 lines, no function over 60.

A line here is a line of code, as radon's SLOC counts it: blank lines, comment-only lines and
the docstring do not count, so explaining a function never pushes it over. A view is a public
function in a `views` module or package. The demo seed (demo/) and migrations are left out.
Complexity (no grade worse than radon's C, i.e. at most 20) is ruff's C901 in pyproject.toml.
"""

import ast
import io
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("roles", "professionals", "bip", "audit", "cases", "evaluation", "api")
MAX_FUNCTION_LINES = 60
MAX_VIEW_LINES = 40
NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}


def code_lines(source: str) -> set[int]:
    """The numbers of the lines that hold code (a string spanning lines counts each line)."""
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in NOT_CODE:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[int]:
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return set()


def function_lengths(source: str) -> list[tuple[str, int, int]]:
    """(name, first line, lines of code) for every function in `source`, nested ones too."""
    code = code_lines(source)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            docstring = _docstring_lines(node)
            length = sum(1 for line in span if line in code and line not in docstring)
            found.append((node.name, node.lineno, length))
    return found


def is_view_module(path: Path) -> bool:
    return "views" in path.parts or path.name == "views.py"


def too_long() -> list[str]:
    problems = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT)
            for name, line, length in function_lengths(path.read_text()):
                view = is_view_module(relative) and not name.startswith("_")
                limit = MAX_VIEW_LINES if view else MAX_FUNCTION_LINES
                if length > limit:
                    kind = "view" if view else "function"
                    problems.append(f"{relative}:{line} {kind} {name}: {length} > {limit}")
    return problems


def test_no_view_over_40_lines_and_no_function_over_60():
    assert too_long() == []


SAMPLE = '''
def short(request):
    """A docstring
    over lines."""
    # a comment

    return 1


def long_one():
''' + "".join(f"    x{n} = {n}\n" for n in range(61))


def test_the_count_leaves_out_docstrings_comments_and_blank_lines():
    lengths = {name: length for name, _, length in function_lengths(SAMPLE)}
    assert lengths == {"short": 2, "long_one": 62}


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("cases/views/lists.py", True),
        ("api/views.py", True),
        ("cases/services/contacts.py", False),
        ("evaluation/report.py", False),
    ],
)
def test_views_are_found_by_their_module(path, view):
    assert is_view_module(Path(path)) is view
