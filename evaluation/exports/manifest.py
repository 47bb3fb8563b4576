"""`manifest.json` in every export's ZIP: what the export is and how to check it.

The study, the export's number and moment, the dataset and format, the period, where the
measurements come from (the data freeze's label, as-of moment, study end and SHA-256, or the
daily snapshot), the k-anonymity summary, and per file in the ZIP its name, size and SHA-256.
The manifest is written last and lists every other file, so `sha256sum` on the unpacked files
checks the whole export.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from .kanonymity import GeneralisationPlan

if TYPE_CHECKING:
    from ..models import DataFreeze


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def bytes_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def freeze_details(freeze: DataFreeze | None) -> dict[str, Any] | None:
    if freeze is None:
        return None
    return {
        "label": freeze.label,
        "as_of": timezone.localtime(freeze.as_of).isoformat(),
        "study_end": freeze.study_end.isoformat() if freeze.study_end else None,
        "definitions_version": freeze.definitions_version,
        "rows": freeze.row_count,
        "sha256": freeze.sha256,
    }


def k_anonymity_summary(plan: GeneralisationPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "k": plan.k,
        "quasi_identifiers": [
            "leeftijd_bij_melding",
            "onderwijssoort",
            "melding_jaar",
            "melding_maand",
            "soort_melding",
            "bron",
        ],
        "rows": plan.rows,
        "rows_generalised": plan.generalised_rows,
        "rows_per_level": {str(level): plan.rows_per_level[level] for level in range(6)},
    }
