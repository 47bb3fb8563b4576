"""Research exports: request, run (as a background task), download and purge.

Lifecycle of a ResearchExport: queued -> running -> done | failed; done -> expired when the
file is deleted after EXPORT_RETENTION_DAYS. While it runs, a heartbeat thread stamps
`heartbeat_at` every few seconds (bip.lib.heartbeat); a running export without a beat for
ORPHANED_AFTER lost its worker and is marked failed (`export_fail_orphaned`) by the next look
at it: the export's page, its poll, the list, the next export task or `purge_exports`. Every
step a person or the system takes is an append-only ExportEvent: requested (who, dataset),
completed (rows), downloaded (who, rows), deleted.

Files live in EXPORT_ROOT/<export id>/<random name>.zip: a ZIP with the data file(s) (CSV:
the semicolon file for Dutch Excel and the comma file for R), codebook.csv, codebook.txt,
datapackage.json (Frictionless), the R and SPSS syntax (CSV and SAV) and manifest.json with
the freeze and every file's SHA-256. An export covers the referrals of whole months (the same
periods as the report), or all months. The random name keeps the file unguessable on disk;
the app serves it only to the researcher who asked for it, through `export_download`.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bip.lib.heartbeat import ORPHANED_AFTER, Heartbeat, orphaned_before, stamp
from cases.exceptions import RuleViolation
from professionals.groups import is_researcher

from ..constants import ExportDataset, ExportEventKind, ExportFormat, ExportStatus
from ..definitions import DEFINITIONS_VERSION
from ..freezes import latest_freeze
from ..models import DataFreeze, ExportEvent, ResearchExport
from ..periods import MonthPeriod
from ..snapshots import StudyEndChanged, check_study_end
from ..study import study_end
from . import codebook, datapackage, manifest, postgres_rows, syntax, writers
from .datasets import DEFAULT_CHUNK_SIZE, Chunk, Dataset, get_dataset
from .kanonymity import GeneralisationPlan
from .postgres_rows import CopyBlock
from .pseudonyms import Pseudonymiser, PseudonymKeyMissing

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

FILE_EXTENSIONS: dict[str, str] = {
    ExportFormat.CSV: "csv",
    ExportFormat.XLSX: "xlsx",
    ExportFormat.SAV: "sav",
}
# Share of the progress bar for reading the rows. SPSS collects all rows before pyreadstat
# writes the file in one call, so reading is only part of its work.
READING_SHARE: dict[str, int] = {ExportFormat.CSV: 95, ExportFormat.XLSX: 95, ExportFormat.SAV: 95}
UNFINISHED = (ExportStatus.QUEUED, ExportStatus.RUNNING)
# An unfinished export that has not started, or not moved on, for this long has most likely no
# worker (`manage.py db_worker` not running, or killed mid-export). The slowest step seen, SPSS
# writing a million rows after the last percent, takes about a minute.
STALLED_AFTER = datetime.timedelta(minutes=10)
# A running export claimed before heartbeats existed (heartbeat_at empty) is judged by its last
# progress report instead, with this much longer margin.
ABANDONED_AFTER = datetime.timedelta(hours=1)
# How often the progress page asks for news: every second at first (a small export is done in
# seconds), then less often, so a page left open for hours costs little.
POLL_INTERVALS = (
    (datetime.timedelta(seconds=30), 1),
    (datetime.timedelta(minutes=3), 5),
)
POLL_INTERVAL_LATER = 15


class ExportUnavailable(Exception):
    """The export's file cannot be downloaded. `gone` is True once it has expired."""

    def __init__(self, message: str, *, gone: bool):
        self.gone = gone
        super().__init__(message)


def export_directory(export_id: int) -> Path:
    return Path(settings.EXPORT_ROOT) / str(export_id)


def export_path(export: ResearchExport) -> Path | None:
    """Where the export's ZIP is, or None when it has no file."""
    if not export.file_name:
        return None
    return export_directory(export.pk) / export.file_name


def download_name(export: ResearchExport) -> str:
    return f"ketenkameleon-{export.dataset}-{export.file_format}-{export.pk}.zip"


def is_stalled(export: ResearchExport, now: datetime.datetime | None = None) -> bool:
    """True when an unfinished export has shown no sign for STALLED_AFTER: queued and never
    picked up, or running without a report (progress or heartbeat) from its worker."""
    if export.status not in UNFINISHED:
        return False
    last_sign = export.requested_at
    if export.status == ExportStatus.RUNNING:
        signs = [sign for sign in (export.progress_at, export.heartbeat_at) if sign is not None]
        if signs:
            last_sign = max(signs)
    return (now or timezone.now()) - last_sign >= STALLED_AFTER


def _orphaned_filter(now: datetime.datetime) -> Q:
    """Running exports without a worker: no heartbeat for ORPHANED_AFTER, or (claimed before
    heartbeats existed) no progress report for ABANDONED_AFTER."""
    legacy_cutoff = now - ABANDONED_AFTER
    return Q(status=ExportStatus.RUNNING) & (
        Q(heartbeat_at__lte=orphaned_before(now))
        | Q(heartbeat_at__isnull=True, progress_at__lte=legacy_cutoff)
        | Q(heartbeat_at__isnull=True, progress_at__isnull=True, requested_at__lte=legacy_cutoff)
    )


def is_orphaned(export: ResearchExport, now: datetime.datetime | None = None) -> bool:
    """True when a running export has lost its worker (the same rule as `_orphaned_filter`)."""
    if export.status != ExportStatus.RUNNING:
        return False
    now = now or timezone.now()
    if export.heartbeat_at is not None:
        return export.heartbeat_at <= orphaned_before(now)
    return (export.progress_at or export.requested_at) <= now - ABANDONED_AFTER


def poll_interval(export: ResearchExport, now: datetime.datetime | None = None) -> int:
    """Seconds until the progress page asks again, growing with the export's age."""
    age = (now or timezone.now()) - export.requested_at
    for younger_than, seconds in POLL_INTERVALS:
        if age < younger_than:
            return seconds
    return POLL_INTERVAL_LATER


def is_expired(export: ResearchExport, now: datetime.datetime | None = None) -> bool:
    if export.status == ExportStatus.EXPIRED:
        return True
    return export.expires_at is not None and export.expires_at <= (now or timezone.now())


# --------------------------------------------------------------------------------------------
# Request
# --------------------------------------------------------------------------------------------


# `freeze` argument of export_create: take the latest data freeze (the daily snapshot when
# there is none). Pass None for the daily snapshot explicitly. Typed Any so that it can be the
# default of a `DataFreeze | None` parameter: export_create replaces it before any use.
LATEST_FREEZE: Any = object()


def export_create(
    *,
    user: User,
    dataset: str,
    file_format: str,
    freeze: DataFreeze | None = LATEST_FREEZE,
    period: MonthPeriod | None = None,
) -> ResearchExport:
    """Create the export and its `requested` event, without starting it.

    Only a researcher may export (PermissionDenied otherwise). An unknown dataset or format
    raises RuleViolation with the form field it belongs to. `freeze` is the DataFreeze the
    measurements come from (default: the latest; None: the daily snapshot); the export's
    parameters name it (label and SHA-256), and so does its codebook. `period` (whole months:
    first_day and last_day) narrows the export to the referrals in it.
    """
    if not is_researcher(user):
        raise PermissionDenied
    errors = {}
    if dataset not in ExportDataset.values:
        errors["dataset"] = _("Kies een dataset.")
    if file_format not in ExportFormat.values:
        errors["file_format"] = _("Kies een bestandsformaat.")
    if errors:
        raise RuleViolation(errors=errors)
    if freeze is LATEST_FREEZE:
        freeze = latest_freeze()
    if freeze is None and dataset == ExportDataset.CASES:
        # The daily snapshot may not mix two censoring rules (see evaluation.snapshots).
        try:
            check_study_end(study_end())
        except StudyEndChanged as error:
            non_field: dict[str | None, str] = {None: str(error)}
            raise RuleViolation(errors=non_field) from None
    parameters = {"study_id": settings.STUDY_ID, "definitions_version": DEFINITIONS_VERSION}
    if period is not None:
        parameters |= {
            "period_first_day": period.first_day.isoformat(),
            "period_last_day": period.last_day.isoformat(),
        }
    if freeze is not None:
        parameters |= {
            "freeze_id": freeze.pk,
            "freeze_label": freeze.label,
            "freeze_sha256": freeze.sha256,
            "definitions_version": freeze.definitions_version,
        }
    with transaction.atomic():
        export = ResearchExport.objects.create(
            requested_by=user,
            dataset=dataset,
            file_format=file_format,
            parameters=parameters,
        )
        ExportEvent.objects.create(export=export, kind=ExportEventKind.REQUESTED, actor=user)
    return export


# --------------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------------


def _with_progress[C: Sized](
    chunks: Iterable[C], export_id: int, expected_rows: int, share: int
) -> Iterator[C]:
    """Pass the chunks through, writing the percentage done after each (only when it changes).

    The update runs outside any transaction, so the progress page sees it at once.
    """
    done, shown = 0, 0
    for chunk in chunks:
        yield chunk
        done += len(chunk)
        percent = min(share, done * share // max(expected_rows, 1))
        if percent != shown:
            ResearchExport.objects.filter(pk=export_id).update(
                progress=percent, progress_at=timezone.now()
            )
            shown = percent


def export_period(parameters: dict) -> MonthPeriod | None:
    """The whole months an export covers, from its parameters (None: all referrals)."""
    if not parameters.get("period_first_day"):
        return None
    return MonthPeriod.containing(
        datetime.date.fromisoformat(parameters["period_first_day"]),
        datetime.date.fromisoformat(parameters["period_last_day"]),
    )


@dataclass(frozen=True)
class DataFile:
    """A data file written into the ZIP: its name there, what kind it is, and where it is."""

    name: str
    kind: str  # csv_excel, csv_r, xlsx, sav
    path: Path


def write_data_files(
    *,
    dataset: Dataset,
    file_format: str,
    stem: Path,
    chunks: Iterable[Chunk | CopyBlock],
    expected_rows: int,
) -> tuple[int, list[DataFile]]:
    """Write the format's data file(s) next to `stem`; returns the rows and the files. Every
    format takes the database's own CSV text (`CopyBlock`s) among its chunks."""
    if file_format == ExportFormat.CSV:
        excel = DataFile(f"{dataset.key}.csv", "csv_excel", Path(f"{stem}.csv.tmp"))
        plain = DataFile(f"{dataset.key}_r.csv", "csv_r", Path(f"{stem}_r.csv.tmp"))
        rows = writers.write_csv(excel.path, dataset.variables, chunks, r_path=plain.path)
        return rows, [excel, plain]
    if file_format == ExportFormat.XLSX:
        workbook = DataFile(f"{dataset.key}.xlsx", "xlsx", Path(f"{stem}.xlsx.tmp"))
        rows = writers.write_xlsx(
            workbook.path, dataset.variables, chunks, expected_rows=expected_rows
        )
        return rows, [workbook]
    sav = DataFile(f"{dataset.key}.sav", "sav", Path(f"{stem}.sav.tmp"))
    rows = writers.write_sav(
        sav.path,
        dataset.variables,
        chunks,
        expected_rows=expected_rows,
        file_label=_("Ketenkameleon – %(dataset)s") % {"dataset": dataset.label},
    )
    return rows, [sav]


@dataclass(frozen=True)
class WrittenExport:
    path: Path
    row_count: int
    manifest: dict


@dataclass(frozen=True)
class _ExportScope:
    """What an export's ZIP describes besides its rows: the dataset and format, the export's
    number and study, where the measurements come from, the period and the k-anonymity plan."""

    dataset: Dataset
    file_format: str
    export_number: int
    study_id: str
    freeze: DataFreeze | None
    period: MonthPeriod | None
    plan: GeneralisationPlan | None


def _data_file_entries(files: list[DataFile]) -> list[dict]:
    """The manifest entries of the data files: name, kind, size and SHA-256."""
    return [
        {
            "name": data_file.name,
            "kind": data_file.kind,
            "bytes": data_file.path.stat().st_size,
            "sha256": manifest.file_sha256(data_file.path),
        }
        for data_file in files
    ]


def _manifest_details(scope: _ExportScope, rows: int) -> dict[str, Any]:
    """The manifest without its list of files: the study, the export, the rows, the
    definitions, the period, where the measurements come from and the k-anonymity summary."""
    freeze, period = scope.freeze, scope.period
    return {
        "study_id": scope.study_id,
        "export_number": scope.export_number,
        "created_at": timezone.localtime().isoformat(timespec="seconds"),
        "dataset": scope.dataset.key,
        "format": scope.file_format,
        "rows": rows,
        "definitions_version": freeze.definitions_version if freeze else DEFINITIONS_VERSION,
        "period": (
            {"first_day": period.first_day.isoformat(), "last_day": period.last_day.isoformat()}
            if period
            else None
        ),
        "source": "freeze" if freeze else "daily_snapshot",
        "freeze": manifest.freeze_details(freeze),
        "as_of": (
            timezone.localtime(freeze.as_of).isoformat(timespec="seconds")
            if freeze
            else timezone.localtime().isoformat(timespec="seconds")
        ),
        "k_anonymity": manifest.k_anonymity_summary(scope.plan),
    }


def _text_files(
    scope: _ExportScope, files: list[DataFile], entries: list[dict], details: dict, rows: int
) -> dict[str, str]:
    """The text files of the ZIP, in their order there: the codebook (CSV and text), the data
    package and, for a CSV or SAV export, the R and SPSS syntax."""
    dataset = scope.dataset
    texts: dict[str, str] = {
        "codebook.csv": codebook.codebook_csv(dataset),
        "codebook.txt": codebook.codebook_text(
            dataset,
            study_id=scope.study_id,
            file_format_label=str(ExportFormat(scope.file_format).label),
            data_file_name=", ".join(data_file.name for data_file in files),
            row_count=rows,
            export_number=scope.export_number,
            freeze=scope.freeze,
            period_label=scope.period.label() if scope.period else "",
            files=entries,
            plan=scope.plan,
        ),
        "datapackage.json": json.dumps(
            datapackage.data_package(dataset, files=entries, manifest=details),
            ensure_ascii=False,
            indent=2,
        ),
    }
    texts.update(_syntax_texts(dataset, scope.file_format, files))
    return texts


def _syntax_texts(dataset: Dataset, file_format: str, files: list[DataFile]) -> dict[str, str]:
    """The R and SPSS syntax that load the data file: for a CSV or SAV export only."""
    if file_format not in (ExportFormat.CSV, ExportFormat.SAV):
        return {}
    sav = file_format == ExportFormat.SAV
    r_file = files[0].name if sav else files[1].name
    return {
        f"{dataset.key}.R": syntax.r_script(dataset, data_file=r_file, sav=sav),
        f"{dataset.key}.sps": syntax.spss_syntax(dataset, data_file=files[0].name, sav=sav),
    }


def _text_file_entries(encoded: dict[str, bytes]) -> list[dict]:
    """The manifest entries of the text files: name, size and SHA-256."""
    return [
        {
            "name": name,
            "kind": "text",
            "bytes": len(content),
            "sha256": manifest.bytes_sha256(content),
        }
        for name, content in encoded.items()
    ]


def _write_zip(path: Path, files: list[DataFile], encoded: dict[str, bytes]) -> None:
    """Write the data files, then the (encoded) text files, into a new ZIP at `path`."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for data_file in files:
            # XLSX is a ZIP itself: deflating it again gains nothing.
            compression = zipfile.ZIP_STORED if data_file.kind == "xlsx" else None
            archive.write(
                data_file.path, data_file.name, compress_type=compression, compresslevel=1
            )
        for name, content in encoded.items():
            archive.writestr(name, content)


def _remove_temporary_files(
    directory: Path, stem: Path, files: list[DataFile], part_path: Path
) -> None:
    """Remove what writing the ZIP left next to `stem`, finished or not: the data files, any
    other temporary file and the unfinished ZIP."""
    for data_file in files:
        data_file.path.unlink(missing_ok=True)
    for leftover in directory.glob(f"{stem.name}*.tmp"):
        leftover.unlink(missing_ok=True)
    part_path.unlink(missing_ok=True)


# Rows per block of the database's text for a SAV: pandas' parser and pyreadstat cost a
# fixed amount per block, so a SAV takes larger blocks than the CSV. Measured at 1M: 5,000
# rows 28.5 s, 10,000 26.9 s at 192 MiB peak, 20,000 25.5 s at 232 MiB, 50,000 25.2 s at
# 320 MiB (over the 250 MB a SAV export may take).
SAV_COPY_BLOCK_ROWS = 10_000


# The datasets whose rows a COPY of their own SQL gives (the cases take their plan and freeze
# too, in `_database_blocks`).
_COPY_BLOCKS: dict[str, Callable[..., Iterator[CopyBlock]]] = {
    ExportDataset.CASES: postgres_rows.case_copy_blocks,
    ExportDataset.CONTACTS: postgres_rows.contact_copy_blocks,
    ExportDataset.SURVEYS: postgres_rows.survey_copy_blocks,
}


def _copied_by_database(dataset: Dataset, file_format: str) -> bool:
    """Whether the database writes the rows as CSV itself: every dataset as CSV, SAV and XLSX
    on PostgreSQL, run outside a transaction (the COPY's own connection sees committed rows
    only)."""
    return (
        file_format in (ExportFormat.CSV, ExportFormat.SAV, ExportFormat.XLSX)
        and dataset.key in _COPY_BLOCKS
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def _database_blocks(
    dataset: Dataset,
    pseudonymise: Pseudonymiser,
    *,
    plan: GeneralisationPlan | None,
    freeze: DataFreeze | None,
    period: MonthPeriod | None,
    block_rows: int,
) -> Iterator[CopyBlock]:
    """The dataset's rows from a COPY of its own SQL (`postgres_rows`)."""
    if dataset.key == ExportDataset.CASES:
        assert plan is not None  # the cases always have a k-anonymity plan
        return postgres_rows.case_copy_blocks(
            pseudonymise, plan=plan, freeze=freeze, period=period, block_rows=block_rows
        )
    return _COPY_BLOCKS[dataset.key](pseudonymise, period=period, block_rows=block_rows)


def write_export_zip(
    *,
    dataset: Dataset,
    file_format: str,
    directory: Path,
    export_number: int,
    pseudonymise: Pseudonymiser,
    expected_rows: int,
    progress: Callable[[Iterator[Chunk | CopyBlock]], Iterator[Chunk | CopyBlock]] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    freeze: DataFreeze | None = None,
    period: MonthPeriod | None = None,
) -> WrittenExport:
    """Write the data file(s), the codebook, the data package, the syntax files and the
    manifest into a new ZIP with a random name in `directory`.

    The cases are checked for k-anonymity first (one pass over their quasi-identifiers).
    `progress(chunks)` may wrap the chunk stream (to record progress). The ZIP appears under
    its final name only when complete.
    """
    stem = directory / secrets.token_urlsafe(24)
    part_path = Path(f"{stem}.zip.part")
    zip_path = Path(f"{stem}.zip")
    plan: GeneralisationPlan | None = dataset.plan(period) if dataset.plan else None
    chunks: Iterator[Chunk | CopyBlock]
    block_rows = (
        chunk_size if file_format == ExportFormat.CSV else max(chunk_size, SAV_COPY_BLOCK_ROWS)
    )
    if _copied_by_database(dataset, file_format):
        chunks = _database_blocks(
            dataset, pseudonymise, plan=plan, freeze=freeze, period=period, block_rows=block_rows
        )
    else:
        chunks = dataset.chunks(pseudonymise, chunk_size, freeze=freeze, period=period, plan=plan)
    if progress is not None:
        chunks = progress(chunks)
    files: list[DataFile] = []
    try:
        rows, files = write_data_files(
            dataset=dataset,
            file_format=file_format,
            stem=stem,
            chunks=chunks,
            expected_rows=expected_rows,
        )
        entries = _data_file_entries(files)
        scope = _ExportScope(
            dataset, file_format, export_number, pseudonymise.study_id, freeze, period, plan
        )
        details = _manifest_details(scope, rows)
        texts = _text_files(scope, files, entries, details, rows)
        encoded = {name: text.encode("utf-8") for name, text in texts.items()}
        details["files"] = entries + _text_file_entries(encoded)
        encoded["manifest.json"] = json.dumps(details, ensure_ascii=False, indent=2).encode()
        _write_zip(part_path, files, encoded)
        os.chmod(part_path, 0o600)
        os.replace(part_path, zip_path)
    finally:
        _remove_temporary_files(directory, stem, files, part_path)
    return WrittenExport(path=zip_path, row_count=rows, manifest=details)


def _abort_message() -> str:
    # Stored with the export and shown as is: in the site's language, not the language of
    # whoever happened to trigger the check.
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "De export is afgebroken: de achtergrondtaak stopte tijdens het maken. Vraag een "
            "nieuwe export aan."
        )


def export_run(*, export_id: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> ResearchExport | None:
    """Write the export's file. The body of the background task; safe to deliver twice.

    Only a queued export runs (it is claimed with a conditional update), so a task that is
    delivered again does nothing. While it runs, a heartbeat thread stamps `heartbeat_at` every
    HEARTBEAT_INTERVAL, however long one step takes. On success: status done, row count, the
    expiry date and a `completed` event. On any error: status failed with a Dutch message for
    the researcher; the traceback goes to the server log only, and partial files are removed.
    A worker stopped mid-export (SystemExit, KeyboardInterrupt) marks it failed and re-raises.
    An export marked failed meanwhile (orphaned, see `export_fail_orphaned`) stays failed: its
    file is removed and no `completed` event is written.
    """
    now = timezone.now()
    claimed = ResearchExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, progress=0, progress_at=now, heartbeat_at=now
    )
    if not claimed:
        return ResearchExport.objects.filter(pk=export_id).first()
    export = ResearchExport.objects.get(pk=export_id)
    running = ResearchExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING)
    with Heartbeat(stamp(running, "heartbeat_at"), name=f"export-{export_id}-heartbeat"):
        return _export_write(export, chunk_size=chunk_size)


class FreezeMissing(Exception):
    """The data freeze the export was asked for no longer exists."""


def _export_freeze(export: ResearchExport) -> DataFreeze | None:
    freeze_id = export.parameters.get("freeze_id")
    if freeze_id is None:
        return None
    freeze = DataFreeze.objects.filter(pk=freeze_id).first()
    if freeze is None:
        raise FreezeMissing(
            _("De datafreeze %(label)s bestaat niet meer; vraag een nieuwe export aan.")
            % {"label": export.parameters.get("freeze_label", freeze_id)}
        )
    return freeze


def _export_write(export: ResearchExport, *, chunk_size: int) -> ResearchExport:
    directory = export_directory(export.pk)
    running = ResearchExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING)
    try:
        with translation.override("nl"):
            written = _export_write_zip(export, running, directory, chunk_size=chunk_size)
    except Exception as error:
        logger.exception("Research export %s failed", export.pk)
        shutil.rmtree(directory, ignore_errors=True)
        message = _failure_message(export, error)
        running.update(status=ExportStatus.FAILED, error=message[:500], finished_at=timezone.now())
        export.refresh_from_db()
        return export
    except BaseException:
        # The worker is being stopped (a second Ctrl+C or SIGTERM ends the task with
        # SystemExit): say so now rather than after ORPHANED_AFTER.
        shutil.rmtree(directory, ignore_errors=True)
        running.update(
            status=ExportStatus.FAILED, error=_abort_message(), finished_at=timezone.now()
        )
        raise
    return _export_complete(export, running, directory, written)


def _export_write_zip(
    export: ResearchExport,
    running: QuerySet[ResearchExport],
    directory: Path,
    *,
    chunk_size: int,
) -> WrittenExport:
    """Write the export's ZIP into `directory`, after noting how many rows it will have."""
    pseudonymise = Pseudonymiser()
    dataset = get_dataset(export.dataset)
    freeze = _export_freeze(export)
    period = export_period(export.parameters)
    expected_rows = dataset.expected_rows(period)
    running.update(
        parameters={**export.parameters, "expected_rows": expected_rows},
        progress_at=timezone.now(),
    )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return write_export_zip(
        dataset=dataset,
        file_format=export.file_format,
        directory=directory,
        export_number=export.pk,
        pseudonymise=pseudonymise,
        expected_rows=expected_rows,
        progress=partial(
            _with_progress,
            export_id=export.pk,
            expected_rows=expected_rows,
            share=READING_SHARE[export.file_format],
        ),
        chunk_size=chunk_size,
        freeze=freeze,
        period=period,
    )


def _failure_message(export: ResearchExport, error: Exception) -> str:
    """What the researcher reads when the export failed: the error itself when it is one the
    researcher can act on (no pseudonym key, the freeze is gone), otherwise a general one."""
    if isinstance(error, PseudonymKeyMissing | FreezeMissing):
        return str(error)
    if isinstance(error, writers.DatasetGrew):
        return _(
            "De dataset groeide terwijl de export werd gemaakt, tot meer rijen dan de "
            "Excel-bladen konden bevatten. Vraag de export opnieuw aan."
        )
    return _(
        "De export is mislukt door een fout op de server. Probeer het later opnieuw; "
        "blijft het misgaan, meld dan het exportnummer %(number)s aan de beheerder."
    ) % {"number": export.pk}


def _export_complete(
    export: ResearchExport,
    running: QuerySet[ResearchExport],
    directory: Path,
    written: WrittenExport,
) -> ResearchExport:
    """Mark the export done with its `completed` event, unless it was marked failed while it
    was being written: then its files are removed and it stays failed."""
    now = timezone.now()
    with transaction.atomic():
        completed = running.update(
            status=ExportStatus.DONE,
            progress=100,
            row_count=written.row_count,
            file_name=written.path.name,
            finished_at=now,
            expires_at=now + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS),
        )
        if completed:
            ExportEvent.objects.create(
                export=export, kind=ExportEventKind.COMPLETED, row_count=written.row_count
            )
    if not completed:
        # Declared orphaned while it was still writing (its heartbeat was held up for
        # ORPHANED_AFTER): the researcher has been told it failed, so it stays failed.
        logger.warning("Research export %s finished after it was marked failed", export.pk)
        shutil.rmtree(directory, ignore_errors=True)
    export.refresh_from_db()
    return export


# --------------------------------------------------------------------------------------------
# Download and purge
# --------------------------------------------------------------------------------------------


def export_download(*, export: ResearchExport, user: User) -> Path:
    """The path of the export's ZIP for `user`, after logging the download.

    The caller has fetched `export` through `access.get_export_for_user`. Raises
    ExportUnavailable when the export is not finished (gone=False) or has expired or lost its
    file (gone=True).
    """
    if export.requested_by_id != user.pk:
        raise PermissionDenied
    if is_expired(export):
        raise ExportUnavailable(
            _("Deze export is verlopen en verwijderd. Vraag zo nodig een nieuwe aan."), gone=True
        )
    if export.status != ExportStatus.DONE:
        raise ExportUnavailable(_("Deze export is nog niet klaar."), gone=False)
    path = export_path(export)
    if path is None or not path.is_file():
        logger.error("Research export %s has no file on disk", export.pk)
        raise ExportUnavailable(
            _("Het bestand van deze export bestaat niet meer. Vraag een nieuwe aan."), gone=True
        )
    ExportEvent.objects.create(
        export=export, kind=ExportEventKind.DOWNLOADED, actor=user, row_count=export.row_count
    )
    return path


def export_purge(*, now: datetime.datetime | None = None) -> list[int]:
    """Delete the files of exports past their expiry; mark them expired with a `deleted` event.

    Returns the ids of the purged exports. Each export is purged in its own transaction, with
    its row locked, so a purge running twice at once deletes and logs every export once.
    """
    now = now or timezone.now()
    due = list(
        ResearchExport.objects.filter(status=ExportStatus.DONE, expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    purged = []
    for export_id in due:
        with transaction.atomic():
            export = (
                ResearchExport.objects.select_for_update()
                .filter(pk=export_id, status=ExportStatus.DONE)
                .first()
            )
            if export is None:
                continue
            shutil.rmtree(export_directory(export.pk), ignore_errors=True)
            ResearchExport.objects.filter(pk=export.pk).update(
                status=ExportStatus.EXPIRED, file_name=""
            )
            ExportEvent.objects.create(
                export=export, kind=ExportEventKind.DELETED, row_count=export.row_count
            )
        purged.append(export_id)
    return purged


def export_fail_orphaned(
    *,
    now: datetime.datetime | None = None,
    export_ids: Iterable[int] | None = None,
    requested_by: User | None = None,
) -> list[int]:
    """Mark failed the running exports that lost their worker; returns their ids.

    Orphaned: no heartbeat for ORPHANED_AFTER (or, claimed before heartbeats existed, no
    progress for ABANDONED_AFTER). A worker killed mid-export (SIGKILL, out of memory, a reboot)
    leaves its export "running", and a task is not delivered twice, so the export is not resumed
    either: one that killed its worker (out of memory) would kill the next one too. The
    researcher reads that it failed and asks again. Partial files are removed. `export_ids` or
    `requested_by` narrow the search (the export's page, the researcher's list); without them
    every export is checked. Each update is conditional on the export still being orphaned, so
    an export whose worker beats in the meantime is left alone, and a second call finds
    nothing.
    """
    now = now or timezone.now()
    orphaned = _orphaned_filter(now)
    candidates = ResearchExport.objects.filter(orphaned)
    if export_ids is not None:
        candidates = candidates.filter(pk__in=list(export_ids))
    if requested_by is not None:
        candidates = candidates.filter(requested_by=requested_by)
    failed = []
    for export_id in candidates.order_by("pk").values_list("pk", flat=True):
        updated = ResearchExport.objects.filter(orphaned, pk=export_id).update(
            status=ExportStatus.FAILED, error=_abort_message(), finished_at=now
        )
        if updated:
            shutil.rmtree(export_directory(export_id), ignore_errors=True)
            logger.warning(
                "Research export %s lost its worker (no heartbeat for %s); marked failed",
                export_id,
                ORPHANED_AFTER,
            )
            failed.append(export_id)
    return failed
