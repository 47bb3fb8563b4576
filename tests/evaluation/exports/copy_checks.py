"""One check shared by the PostgreSQL tests of every dataset: the whole export service writes
the same file from the database's COPY as from the Python rows."""

import io
import zipfile

from django.db import transaction
from openpyxl import load_workbook

from evaluation.constants import ExportFormat
from evaluation.exports import services, writers
from evaluation.exports.datasets import get_dataset
from evaluation.exports.pseudonyms import Pseudonymiser

PSEUDONYMISE = Pseudonymiser(key="een-sleutel-van-de-studie", study_id="bip-pg")


def assert_the_copy_writes_the_python_rows_file(tmp_path, dataset_key: str, file_format: str):
    """Outside a transaction the file is written from the COPY, inside one from the Python
    rows: the SPSS data must be the same byte for byte (and the dictionary, the header's
    creation date and time aside), the workbook's cells value for value and type for type.
    Returns the rows written."""
    dataset = get_dataset(dataset_key)
    arguments = {"dataset": dataset, "file_format": file_format, "export_number": 1,
                 "pseudonymise": PSEUDONYMISE, "expected_rows": 0, "chunk_size": 9}  # fmt: skip
    assert services._copied_by_database(dataset, file_format)
    (tmp_path / "copy").mkdir(), (tmp_path / "python").mkdir()
    copied = services.write_export_zip(directory=tmp_path / "copy", **arguments)
    with transaction.atomic():
        assert not services._copied_by_database(dataset, file_format)
        python = services.write_export_zip(directory=tmp_path / "python", **arguments)
    assert copied.row_count == python.row_count
    contents = []
    for written in (copied, python):
        with zipfile.ZipFile(written.path) as archive:
            contents.append(archive.read(f"{dataset_key}.{file_format}"))
    if file_format == ExportFormat.SAV:
        start, _count_at = writers._dictionary_end(contents[0])
        assert contents[0][start:] == contents[1][start:]
        # The header's creation date and time (bytes 92 to 109: "dd mmm yy", "hh:mm:ss").
        assert (
            contents[0][:92] + contents[0][109:start] == contents[1][:92] + contents[1][109:start]
        )
    else:
        cells = [
            [
                [(cell.value, cell.data_type) for cell in row]
                for row in load_workbook(io.BytesIO(content))["data"].iter_rows()
            ]
            for content in contents
        ]
        assert len(cells[0]) == copied.row_count + 1
        assert cells[0] == cells[1]
    return copied.row_count
