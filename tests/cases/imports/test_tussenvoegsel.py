"""The CSV import's tussenvoegsel column (issue 14 #2): imported into its own field, optional
for older files, with the intake's length limit."""

from cases.imports import COLUMNS, import_confirm, import_preview_create
from cases.models import Child
from tests.cases.test_imports import (  # the import tests' world and helpers
    coordinator,  # noqa: F401 - fixture
    csv_bytes,
    frozen,  # noqa: F401 - fixture
    melding,
    row_errors,
    schools,  # noqa: F401 - fixture
)


def test_the_template_columns_include_the_tussenvoegsel():
    assert COLUMNS.index("tussenvoegsel") == COLUMNS.index("achternaam") - 1


def test_the_tussenvoegsel_is_imported_into_its_own_field(coordinator, schools):  # noqa: F811
    content = csv_bytes([melding(tussenvoegsel="van der", achternaam="Meer", voornamen="Sem")])

    batch = import_preview_create(content=content, file_name="m.csv", actor=coordinator)
    assert batch.error_count == 0, row_errors(batch)
    assert batch.rows.get().child_name == "Sem van der Meer"
    import_confirm(batch=batch, actor=coordinator)

    child = Child.objects.get()
    assert (child.first_name, child.tussenvoegsel, child.last_name) == ("Sem", "van der", "Meer")
    assert child.full_name == "Sem van der Meer"
    assert Child.objects.filter(search_key__contains=" meer").exists()


def test_a_file_without_the_column_still_imports(coordinator, schools):  # noqa: F811
    columns = tuple(column for column in COLUMNS if column != "tussenvoegsel")
    content = csv_bytes([melding(achternaam="de Vries", voornamen="Eva")], columns=columns)

    batch = import_preview_create(content=content, file_name="m.csv", actor=coordinator)
    assert batch.error_count == 0, row_errors(batch)
    import_confirm(batch=batch, actor=coordinator)

    child = Child.objects.get()
    assert (child.tussenvoegsel, child.last_name, child.full_name) == (
        "",
        "de Vries",
        "Eva de Vries",
    )


def test_a_too_long_tussenvoegsel_is_refused_without_repeating_it(coordinator, schools):  # noqa: F811
    content = csv_bytes([melding(tussenvoegsel="x" * 21)])

    batch = import_preview_create(content=content, file_name="m.csv", actor=coordinator)

    errors = row_errors(batch)
    assert errors == {2: ["tussenvoegsel is te lang: hoogstens 20 tekens."]}
