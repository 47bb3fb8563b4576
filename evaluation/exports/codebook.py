"""The codebook shipped with every export: variable, label, type, allowed values, definition.

Two files in the export's ZIP:
- `codebook.csv`: one row per variable, for analysis scripts (with its measurement level and
  the missing codes it may hold);
- `codebook.txt`: the same for people, with the dataset, the study, the period, the data
  freeze (label, as-of moment, SHA-256), the SHA-256 of every data file, how many rows were
  generalised for k-anonymity, the conventions for missing values and pseudonyms, and the
  definitions quoted from `evaluation.definitions`.

Texts are rendered in the active language; the export task renders them in Dutch.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..definitions import DEFINITIONS_VERSION
from . import writers
from .datasets import (
    BOOLEAN,
    CATEGORY,
    INTEGER,
    MISSING_CODES,
    MISSING_DEFINITIONS,
    Dataset,
    Variable,
)
from .kanonymity import GeneralisationPlan
from .pseudonyms import PSEUDONYM_HEX_CHARS

if TYPE_CHECKING:
    from ..models import DataFreeze


def type_label(variable: Variable) -> str:
    return {
        CATEGORY: _("categorie"),
        BOOLEAN: _("ja/nee"),
        INTEGER: _("geheel getal"),
    }.get(variable.kind, _("tekst"))


def allowed_values(variable: Variable) -> str:
    if variable.kind == CATEGORY:
        codes = variable.spss_codes()
        return "; ".join(
            _("%(code)s = %(label)s (SPSS %(number)s)")
            % {"code": code, "label": label, "number": codes[code]}
            for code, label in variable.choices
        )
    if variable.kind == BOOLEAN:
        return _("1 = ja; 0 = nee")
    return str(variable.values)


def measure_label(variable: Variable) -> str:
    return {"nominal": _("nominaal"), "ordinal": _("ordinaal"), "scale": _("schaal")}[
        variable.measure_level
    ]


def missing_values(variable: Variable) -> str:
    return "; ".join(f"{code} = {MISSING_CODES[code]}" for code in variable.missing)


def codebook_rows(variables: Sequence[Variable]) -> list[list[str]]:
    return [
        [
            variable.name,
            str(variable.label),
            type_label(variable),
            allowed_values(variable),
            str(variable.definition),
            measure_label(variable),
            missing_values(variable),
        ]
        for variable in variables
    ]


def codebook_header() -> list[str]:
    return [
        _("variabele"),
        _("label"),
        _("type"),
        _("waarden"),
        _("definitie"),
        _("meetniveau"),
        _("ontbrekend"),
    ]


def codebook_csv(dataset: Dataset) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(codebook_header())
    writer.writerows(codebook_rows(dataset.variables))
    return buffer.getvalue()


def _wrapped(text: str, indent: str = "    ") -> str:
    return textwrap.fill(text, width=96, initial_indent=indent, subsequent_indent=indent)


def _source_lines(freeze: DataFreeze | None, canonical_fields: Sequence[str]) -> list[str]:
    if freeze is None:
        return [
            _("Bron van de metingen: de dagelijkse driemaandsmeting (geen datafreeze)."),
        ]
    return [
        _("Bron van de metingen: datafreeze %(label)s") % {"label": freeze.label},
        _("Peilmoment van de freeze: %(as_of)s")
        % {"as_of": timezone.localtime(freeze.as_of).strftime("%Y-%m-%d %H:%M")},
        _("Einde studie in de freeze: %(end)s")
        % {"end": freeze.study_end.isoformat() if freeze.study_end else _("geen")},
        _("Rijen in de freeze: %(rows)s (BIP %(bip)s, controle %(control)s)")
        % {"rows": freeze.row_count, "bip": freeze.rows_bip, "control": freeze.rows_control},
        _("SHA-256 van de freeze: %(hash)s") % {"hash": freeze.sha256},
        _wrapped(
            _(
                "De SHA-256 is berekend over de rijen van de freeze in oplopend intern id van "
                "de zaak, elke rij de waarden van %(fields)s, gescheiden door een tab en "
                "afgesloten met een regeleinde (LF); leeg bij een ontbrekende waarde, 1/0 voor "
                "ja/nee, datums als JJJJ-MM-DD, UTF-8. De beheerder kan de freeze in de app "
                "opnieuw narekenen."
            )
            % {"fields": ", ".join(canonical_fields)},
            indent="",
        ),
    ]


def codebook_text(
    dataset: Dataset,
    *,
    study_id: str,
    file_format_label: str,
    data_file_name: str,
    row_count: int,
    export_number: int,
    freeze: DataFreeze | None = None,
    period_label: str = "",
    files: Sequence[dict] = (),
    plan: GeneralisationPlan | None = None,
) -> str:
    """The codebook for people. Names where the measurements come from: the data freeze
    (label, as-of moment, rows per arm and its SHA-256) or the daily snapshot; the period; the
    SHA-256 of each data file (`files`: manifest entries); the rows generalised by `plan`."""
    from ..freezes import CANONICAL_FIELDS

    lines = [
        *_export_lines(
            dataset,
            study_id=study_id,
            file_format_label=file_format_label,
            data_file_name=data_file_name,
            row_count=row_count,
            export_number=export_number,
            freeze=freeze,
            period_label=period_label,
        ),
        *_source_lines(freeze, CANONICAL_FIELDS),
        *(
            _("SHA-256 van %(file)s: %(hash)s") % {"file": entry["name"], "hash": entry["sha256"]}
            for entry in files
        ),
        *_k_anonymity_lines(plan),
        "",
        _("Afspraken"),
        *_pseudonym_lines(),
        *_missing_value_lines(),
        *_file_and_arm_lines(dataset),
        "",
        _("Variabelen"),
        "",
        *_variable_lines(dataset.variables),
    ]
    return "\n".join(lines)


def _export_lines(
    dataset: Dataset,
    *,
    study_id: str,
    file_format_label: str,
    data_file_name: str,
    row_count: int,
    export_number: int,
    freeze: DataFreeze | None,
    period_label: str,
) -> list[str]:
    """The codebook's title and what this export is: study, number, file, rows, version and
    period."""
    return [
        _("Codeboek – %(dataset)s") % {"dataset": dataset.label},
        "",
        _wrapped(str(dataset.description), indent=""),
        "",
        _("Studie: %(study)s") % {"study": study_id},
        _("Export: nummer %(number)s") % {"number": export_number},
        _("Bestand: %(file)s (%(format)s)") % {"file": data_file_name, "format": file_format_label},
        _("Aantal rijen: %(rows)s") % {"rows": row_count},
        _("Versie van de definities: %(version)s")
        % {"version": freeze.definitions_version if freeze else DEFINITIONS_VERSION},
        _("Periode (maanden van de melding): %(period)s")
        % {"period": period_label or _("alle maanden")},
    ]


def _pseudonym_lines() -> list[str]:
    """The conventions for pseudonyms, and what the export never holds."""
    return [
        _wrapped(
            _(
                "Pseudoniemen zijn de eerste %(chars)s tekens van HMAC-SHA256 met een geheime "
                "sleutel per studie. Dezelfde persoon of zaak heeft binnen deze studie steeds "
                "hetzelfde pseudoniem; exports van verschillende studies zijn niet te koppelen."
            )
            % {"chars": PSEUDONYM_HEX_CHARS}
        ),
        _wrapped(
            _(
                "Pseudoniemen van scholen en huishoudens (clustervariabelen) gebruiken elk een "
                "eigen sleutel, afgeleid van de studiesleutel. De invoer van elk pseudoniem is "
                "het interne id in de database, nooit het zaaknummer."
            )
        ),
        _wrapped(
            _(
                "Er staan geen namen, BSN's, onderwijsnummers, adressen, postcodes, "
                "contactgegevens, vrije tekst of exacte datums in de export. Een moment staat "
                "er als hele weken sinds de melding; de melding zelf als jaar, kwartaal en "
                "maand; de leeftijd in hele jaren op de datum van de melding. Geen enkele "
                "combinatie van kolommen geeft de datum van de melding terug (zie km_weken)."
            )
        ),
    ]


def _missing_value_lines() -> list[str]:
    """The conventions for missing values: the negative codes and their meaning, empty cells."""
    return [
        _wrapped(
            _(
                "Waarom een waarde ontbreekt staat als negatieve code in elk formaat (in SPSS "
                "als user-missing, -4 tot en met -1, met een waardelabel):"
            )
        ),
        *(
            _wrapped(f"{code} = {MISSING_CODES[code]}: {MISSING_DEFINITIONS[code]}.")
            for code in MISSING_CODES
        ),
        _wrapped(
            _(
                "Een lege cel komt alleen voor bij een pseudoniem zonder onderwerp (geen school, "
                "geen professional). In CSV en Excel staat een categorie als code (bijvoorbeeld "
                "'bip') en ja/nee als 1/0; in SPSS staat een categorie als getal met een "
                "waardelabel."
            )
        ),
    ]


def _file_and_arm_lines(dataset: Dataset) -> list[str]:
    """The files an export may hold, and which arm a case is counted in."""
    return [
        _wrapped(
            _(
                "Bestanden: %(data)s.csv (puntkomma's, UTF-8 met BOM, voor Excel), "
                "%(data)s_r.csv (komma's, voor R), %(data)s.xlsx (Excel; ten hoogste "
                "%(rows)s rijen per blad, daarna de bladen data_2, data_3, …), %(data)s.sav "
                "(SPSS), %(data)s.R en %(data)s.sps (laden de data in R en SPSS met labels en "
                "ontbrekende codes), datapackage.json (Frictionless Table Schema) en "
                "manifest.json (freeze, periode en SHA-256 van elk bestand); niet elk formaat "
                "heeft elk bestand."
            )
            % {
                "data": dataset.key,
                "rows": number_format(writers.MAX_XLSX_ROWS, force_grouping=True),
            }
        ),
        _wrapped(
            _(
                "Onderzoeksarm: elke dataset telt een zaak in de arm van de eerste toewijzing "
                "(intention-to-treat), ook als de arm later is gecorrigeerd; de variabele "
                "arm_zoals_behandeld geeft de arm na de laatste correctie. De zaken en de "
                "contacten van dezelfde zaak hebben dus altijd dezelfde arm. Hoe de "
                "randomisatiereeks is opgebouwd (stratum, blok, positie) staat niet in de export."
            )
        ),
    ]


def _variable_lines(variables: Sequence[Variable]) -> list[str]:
    """Per variable: its name and label, then type, level, missing codes, values and
    definition (the last three when it has them), and a blank line."""
    lines: list[str] = []
    for name, label, kind, values, definition, measure, missing in codebook_rows(variables):
        lines.append(f"{name} – {label}")
        lines.append(_wrapped(_("Type: %(type)s") % {"type": kind}))
        lines.append(_wrapped(_("Meetniveau: %(measure)s") % {"measure": measure}))
        if missing:
            lines.append(_wrapped(_("Ontbrekend: %(codes)s") % {"codes": missing}))
        if values:
            lines.append(_wrapped(_("Waarden: %(values)s") % {"values": values}))
        if definition:
            lines.append(_wrapped(_("Definitie: %(definition)s") % {"definition": definition}))
        lines.append("")
    return lines


def _k_anonymity_lines(plan: GeneralisationPlan | None) -> list[str]:
    if plan is None:
        return []
    levels = plan.rows_per_level
    return [
        _wrapped(
            _(
                "k-anonimiteit (k = %(k)s): %(generalised)s van de %(rows)s rijen zijn "
                "gegeneraliseerd (leeftijdsgroep: %(band)s; kwartaal: %(quarter)s; alleen jaar: "
                "%(year)s; ook zonder onderwijssoort en soort melding: %(coarse)s; alles "
                "weggelaten: %(all)s)."
            )
            % {
                "k": plan.k,
                "generalised": plan.generalised_rows,
                "rows": plan.rows,
                "band": levels[1],
                "quarter": levels[2],
                "year": levels[3],
                "coarse": levels[4],
                "all": levels[5],
            },
            indent="",
        )
    ]
