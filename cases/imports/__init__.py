"""Bulk import of DUO verzuimmeldingen from a CSV file: read, check, preview, confirm or cancel.

Where each part lives:

- reader.py: the file format, streaming the rows, the header check and the caps (size,
  lines, line length).
- rows.py: ImportRowForm, one Django form per data line, with the intake forms' field limits
  and validators; its errors as per-line Dutch messages.
- checks.py: the rows against the database and each other (duplicates, known children,
  households, schools by BRIN, the referral rules), a chunk at a time.
- services.py: upload, the check task's body, preview, confirm (and its task's body) and
  cancel; the bulk creation of households, children, cases and allocations.
- Fetching a batch for a user is cases.access.get_import_batch_for_user; the latest batches
  are cases.selectors.recent_import_batches.

A child is matched by BSN, else by onderwijsnummer, else new. Messages never repeat a cell's
value, so no name, BSN or date of birth ends up on screen, in the kept report or in a log. The
only exception is a BRIN that passed the format check.

This module exports what the views, the tasks, the benchmark and scripts use. Tests that
replace a constant or function replace it in the module that uses it (services.CHUNK,
reader.MAX_FILE_BYTES).
"""

from .checks import CHUNK, CheckState, RowCheck, check_rows
from .reader import (
    COLUMNS,
    DELIMITER,
    MAX_DATA_LINES,
    MAX_FILE_BYTES,
    ImportFileInvalid,
    SourceRow,
    count_data_lines,
    iter_rows,
    read_rows,
    too_large_message,
)
from .rows import ImportRowForm
from .services import (
    STALLED_AFTER,
    ImportClosed,
    import_cancel,
    import_check_run,
    import_confirm,
    import_confirm_request,
    import_confirm_run,
    import_preview_create,
    import_upload,
    is_stalled,
)

__all__ = [
    "CHUNK",
    "COLUMNS",
    "DELIMITER",
    "MAX_DATA_LINES",
    "MAX_FILE_BYTES",
    "STALLED_AFTER",
    "CheckState",
    "ImportClosed",
    "ImportFileInvalid",
    "ImportRowForm",
    "RowCheck",
    "SourceRow",
    "check_rows",
    "count_data_lines",
    "import_cancel",
    "import_check_run",
    "import_confirm",
    "import_confirm_request",
    "import_confirm_run",
    "import_preview_create",
    "import_upload",
    "is_stalled",
    "iter_rows",
    "read_rows",
    "too_large_message",
]
