"""The machine-readable data dictionary: a Frictionless Data Package (`datapackage.json`) with
a Table Schema per data file, written from the dataset's variables (the same single source as
the codebook and the syntax files).

- Field types: a pseudonym is a string, a number an integer, a yes/no a boolean written as 1/0
  (`trueValues`/`falseValues`), a category a string (or an integer for the 5-point scores)
  with its `categories` (code and label) and `categoriesOrdered` for ordinal ones.
- The missing codes are field-level `missingValues` with their labels (Table Schema v2), so
  -1 in a count is "not measured" while -1 elsewhere stays a value; the package-level list
  holds only the empty cell.
- Each resource carries its file's `hash` (sha256:...), `bytes`, encoding and CSV dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .datasets import BOOLEAN, CATEGORY, INTEGER, MISSING_CODES, ORDINAL, Dataset, Variable

PROFILE = "tabular-data-package"


def field_descriptor(variable: Variable) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": variable.name,
        "title": str(variable.label),
    }
    if variable.definition:
        field["description"] = str(variable.definition)
    if variable.kind == INTEGER:
        field["type"] = "integer"
    elif variable.kind == BOOLEAN:
        field |= {"type": "boolean", "trueValues": ["1"], "falseValues": ["0"]}
    elif variable.kind == CATEGORY:
        numeric = all(isinstance(code, int) for code, _label in variable.choices)
        field["type"] = "integer" if numeric else "string"
        field["categories"] = [
            {"value": code, "label": str(label)} for code, label in variable.choices
        ]
        field["categoriesOrdered"] = variable.measure_level == ORDINAL
        field["constraints"] = {"enum": [code for code, _label in variable.choices]}
    else:
        field["type"] = "string"
        if variable.width:
            field["constraints"] = {"minLength": variable.width, "maxLength": variable.width}
    if variable.missing:
        field["missingValues"] = [
            {"value": str(code), "label": str(MISSING_CODES[code])} for code in variable.missing
        ]
    return field


def table_schema(variables: Sequence[Variable]) -> dict[str, Any]:
    return {
        "fields": [field_descriptor(variable) for variable in variables],
        "missingValues": [""],
    }


CSV_DIALECTS = {
    # file kind -> (format, encoding, dialect)
    "csv_r": ("csv", "utf-8", {"delimiter": ",", "lineTerminator": "\n", "header": True}),
    "csv_excel": (
        "csv",
        "utf-8-sig",
        {"delimiter": ";", "lineTerminator": "\r\n", "header": True},
    ),
}


def data_package(
    dataset: Dataset, *, files: Sequence[dict[str, Any]], manifest: dict[str, Any]
) -> dict[str, Any]:
    """The package for the export's data files. `files` are manifest entries of the data files
    ({"name", "kind", "sha256", "bytes"}); `manifest` gives the study, freeze and creation."""
    schema = table_schema(dataset.variables)
    resources = []
    for entry in files:
        name = entry["name"]
        stem, _dot, extension = name.rpartition(".")
        resource: dict[str, Any] = {
            "name": stem.lower().replace("_", "-"),
            "path": name,
            "profile": "tabular-data-resource",
            "hash": f"sha256:{entry['sha256']}",
            "bytes": entry["bytes"],
            "schema": schema,
        }
        if entry["kind"] in CSV_DIALECTS:
            file_format, encoding, dialect = CSV_DIALECTS[entry["kind"]]
            resource |= {
                "format": file_format,
                "mediatype": "text/csv",
                "encoding": encoding,
                "dialect": dialect,
            }
        else:
            resource["format"] = extension
        resources.append(resource)
    freeze = manifest.get("freeze")
    return {
        "profile": PROFILE,
        "name": f"ketenkameleon-{dataset.key}",
        "title": str(dataset.label),
        "description": str(dataset.description),
        "id": f"{manifest['study_id']}/export-{manifest['export_number']}",
        "created": manifest["created_at"],
        "version": str(manifest["definitions_version"]),
        "keywords": [manifest["study_id"]] + ([freeze["label"]] if freeze else []),
        "resources": resources,
    }
