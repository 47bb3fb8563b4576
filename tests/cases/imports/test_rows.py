"""ImportRowForm: one form per CSV line, with the intake forms' limits and validators, and
per-line messages that name the column but never the cell's content."""

import datetime
from typing import Any

import pytest
from django import forms

from cases.forms import NewChildForm, ReferralForm
from cases.imports import COLUMNS, ImportRowForm
from cases.validators import validate_brin, validate_bsn, validate_onderwijsnummer
from tests.factories import valid_bsn

TODAY = datetime.date(2026, 3, 16)


def cells(**overrides: str) -> dict[str, str]:
    values = {
        "meldingsdatum": "2026-03-02",
        "bsn": valid_bsn(7),
        "onderwijsnummer": "",
        "achternaam": "Bakker",
        "voornamen": "Noor",
        "geboortedatum": "2012-05-01",
        "brin": "12KL",
        "soort_verzuim": "16_uur",
        "verzuim_vanaf": "2026-02-02",
        "verzuim_tot_en_met": "2026-02-27",
        "uren_verzuim": "18",
        "keer_te_laat": "0",
        "straat": "Kruisstraat 1",
        "postcode": "2011 AB",
        "plaats": "Haarlem",
    }
    values.update(overrides)
    return values


def test_the_form_has_one_field_per_column() -> None:
    assert sorted(ImportRowForm.base_fields) == sorted(COLUMNS)


def test_the_limits_and_validators_are_the_intake_forms() -> None:
    row, referral, child = (
        ImportRowForm.base_fields,
        ReferralForm.base_fields,
        NewChildForm.base_fields,
    )

    def limits(field: forms.Field, *names: str) -> tuple[Any, ...]:
        return tuple(getattr(field, name) for name in names)

    for column, name in [("uren_verzuim", "hours_absent"), ("keer_te_laat", "times_late")]:
        bounds = ("min_value", "max_value")
        assert limits(row[column], *bounds) == limits(referral[name], *bounds)
    for column, name in [("achternaam", "last_name"), ("voornamen", "first_name")]:
        assert limits(row[column], "max_length") == limits(child[name], "max_length")
    assert {
        "straat": limits(child["street"], "max_length")[0],
        "plaats": limits(child["city"], "max_length")[0],
    } == ImportRowForm.ADDRESS_MAX_LENGTHS
    assert validate_bsn in row["bsn"].validators
    assert validate_onderwijsnummer in row["onderwijsnummer"].validators
    assert validate_brin in row["brin"].validators
    (intake_choices,) = limits(referral["melding_type"], "choices")
    (row_choices,) = limits(row["soort_verzuim"], "choices")
    assert list(row_choices) == list(intake_choices)


@pytest.mark.parametrize("column", ["soort_verzuim", "meldingsdatum", "voornamen"])
def test_an_empty_required_cell_is_missing(column: str) -> None:
    form = ImportRowForm(cells(**{column: ""}), today=TODAY)

    assert not form.is_valid()
    assert form.line_errors() == [f"{column} ontbreekt: dit veld is verplicht."]


def test_a_good_line_is_cleaned_and_normalised() -> None:
    form = ImportRowForm(
        cells(
            bsn=valid_bsn(7)[:4] + "." + valid_bsn(7)[4:],
            brin="12kl",
            soort_verzuim="16_UUR",
            meldingsdatum="2-3-2026",
            postcode="2011ab",
            uren_verzuim="",
        ),
        today=TODAY,
    )

    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["bsn"] == valid_bsn(7)
    assert (data["brin"], data["soort_verzuim"], data["postcode"]) == ("12KL", "16_uur", "2011 AB")
    assert data["meldingsdatum"] == datetime.date(2026, 3, 2)
    assert (data["uren_verzuim"], data["keer_te_laat"]) == (0, 0)


@pytest.mark.parametrize("count", ["+5", "5.0", "-0", "٣", " ", "1" * 5000])
def test_a_count_is_ascii_digits_only(count: str) -> None:
    form = ImportRowForm(cells(uren_verzuim=count), today=TODAY)
    if not count.strip():
        assert form.is_valid()
        return
    assert not form.is_valid()
    assert form.line_errors() == ["uren_verzuim moet een geheel getal van 0 tot en met 2000 zijn."]


def test_the_messages_follow_the_columns_and_repeat_no_cell() -> None:
    secret_bsn, secret_name = "123456789", "Geheimnaam" * 20
    form = ImportRowForm(
        cells(
            bsn=secret_bsn,
            achternaam=secret_name,
            geboortedatum="2027-01-01",
            soort_verzuim="spijbelen",
            brin="",
            keer_te_laat="99999",
        ),
        today=TODAY,
    )

    assert not form.is_valid()
    assert form.line_errors() == [
        "bsn: Dit is geen geldig BSN: het moet 9 cijfers hebben en voldoen aan de elfproef.",
        "achternaam is te lang: hoogstens 150 tekens.",
        "geboortedatum ligt in de toekomst.",
        "soort_verzuim is onbekend: kies uit 16_uur, lrv, luxe, overig, absoluut.",
        "brin ontbreekt: alleen bij absoluut verzuim mag de school leeg zijn.",
        "keer_te_laat moet een geheel getal van 0 tot en met 1000 zijn.",
    ]
    # A date of birth in the future is refused but kept: the referral rules still judge it.
    assert form.parsed_date_of_birth == datetime.date(2027, 1, 1)
    shown = " ".join(form.line_errors())
    assert secret_bsn not in shown and "Geheimnaam" not in shown and "2027" not in shown


def test_the_forms_of_different_lines_share_no_errors_or_data() -> None:
    # The fields are shared between the lines' forms (not copied per line): a bad line must
    # leave nothing behind for the next one.
    bad = ImportRowForm(cells(bsn="1", meldingsdatum="", voornamen=""), today=TODAY)
    assert not bad.is_valid()
    good = ImportRowForm(cells(), today=TODAY)

    assert good.is_valid(), good.errors
    assert good.fields is bad.fields
    assert good.cleaned_data["bsn"] == valid_bsn(7)
    assert len(bad.line_errors()) == 3
