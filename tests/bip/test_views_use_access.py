"""No view reads the ORM directly: records come from an app's access.py (scoped QuerySet or
get-or-404) and lists from its selectors (CONVENTIONS.md, "Access: one choke point").

An AST scan of every views module for `<Name>.objects` and Django's get_object_or_404. A
justified exception is listed below with its reason; a fixed exception must leave the list (the
test checks that too).
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
APPS = ["audit", "bip", "cases", "evaluation", "professionals", "roles"]

# (module path, function, model) -> why it may read the ORM.
EXCEPTIONS: dict[tuple[str, str, str], str] = {}


# Django's shortcuts that take a model or an unscoped QuerySet: access.py has the get-or-404s.
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}


def view_modules() -> list[Path]:
    modules = []
    for app in APPS:
        modules += (BASE / app).rglob("views.py")
        modules += (BASE / app).rglob("views/*.py")
    return sorted(set(modules))


def direct_orm_reads(path: Path, base: Path = BASE) -> set[tuple[str, str, str]]:
    """(module, enclosing function, model) for each `<Name>.objects` in `path`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()

    def visit(node, function: str):
        for child in ast.iter_child_nodes(node):
            inner = (
                child.name
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                else function
            )
            if (
                isinstance(child, ast.Attribute)
                and child.attr == "objects"
                and isinstance(child.value, ast.Name)
            ):
                found.add((str(path.relative_to(base)), function, child.value.id))
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Name)
                and child.func.id in SHORTCUTS
            ):
                found.add((str(path.relative_to(base)), function, child.func.id))
            visit(child, inner)

    visit(tree, "<module>")
    return found


def test_the_scan_finds_the_view_modules():
    names = {str(path.relative_to(BASE)) for path in view_modules()}
    assert {"cases/views/plans.py", "cases/views/coordination.py", "audit/views.py"} <= names


def test_the_scan_sees_a_direct_read(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "def page(request):\n    return Case.objects.get(pk=1)\n\n"
        "def other(request):\n    return get_object_or_404(Child, pk=1)\n"
    )
    assert direct_orm_reads(module, base=tmp_path) == {
        ("views.py", "page", "Case"),
        ("views.py", "other", "get_object_or_404"),
    }


@pytest.mark.parametrize("path", view_modules(), ids=lambda path: str(path.relative_to(BASE)))
def test_no_view_reads_the_orm_directly(path):
    reads = direct_orm_reads(path)
    assert not {read for read in reads if read not in EXCEPTIONS}, (
        "Fetch records through the app's access.py and lists through its selectors."
    )


def test_every_exception_is_still_needed():
    reads = set().union(*(direct_orm_reads(path) for path in view_modules()))
    assert set(EXCEPTIONS) <= reads, "An exception was fixed: remove it from EXCEPTIONS."
