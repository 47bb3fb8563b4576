"""The syntax files and the data dictionary in the ZIP: the R script runs in R on a real
export (skipped without Rscript), the SPSS syntax and datapackage.json match the data."""

import csv
import io
import json
import shutil
import subprocess
import zipfile

import pytest

from evaluation.constants import Arm, ExportDataset
from evaluation.exports import services
from evaluation.exports.datasets import get_dataset
from tests.factories import CaseFactory

from .conftest import measure
from .readers import unpack

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

RSCRIPT = shutil.which("Rscript")


def has_haven() -> bool:
    probe = subprocess.run(  # noqa: S603 - fixed arguments
        [RSCRIPT, "--vanilla", "-e", "library(haven)"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.fixture
def cases(db):
    for index in range(6):
        case = CaseFactory(arm=Arm.BIP if index % 2 else Arm.CONTROL)
        if index < 4:
            measure(case, suitable=index % 2 == 0, km_event=index % 2 == 0, km_days=40)


def export_zip(researcher, file_format):
    export = services.export_create(
        user=researcher, dataset=ExportDataset.CASES, file_format=file_format
    )
    export = services.export_run(export_id=export.pk)
    assert export.status == "klaar", export.error
    return services.export_path(export)


def run_r(directory, body: str, env=None) -> str:
    result = subprocess.run(  # noqa: S603 - our own script on our own files
        [RSCRIPT, "--vanilla", "-e", f'setwd("{directory}"); source("zaken.R"); {body}'],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(
    RSCRIPT is None, reason="Rscript is not installed (apt-get install r-base-core)"
)
@pytest.mark.parametrize("file_format", ["csv", "sav"])
def test_the_r_script_loads_the_export_with_labels_and_missing_codes(
    researcher, cases, tmp_path, file_format
):
    if file_format == "sav" and not has_haven():
        pytest.skip("R has no 'haven' package (apt-get install r-cran-haven): SAV needs it")
    unpack(export_zip(researcher, file_format), tmp_path)
    out = run_r(
        tmp_path,
        'cat(nrow(zaken), ncol(zaken), "\\n");'
        'cat(attr(zaken$arm, "label"), "\\n");'
        'p <- zaken$passend; if (inherits(p, "haven_labelled")) p <- haven::zap_missing(p);'
        'cat(sum(is.na(p)), "\\n");'
        'cat(sum(!is.na(p)), "\\n")',
    )
    rows, label, missing, present = out.strip().splitlines()
    assert rows.split() == ["6", str(len(get_dataset(ExportDataset.CASES).variables))]
    assert label.strip() == "Onderzoeksarm"
    assert int(missing) == 2  # the two unmeasured cases (-1) are missing in R
    assert int(present) == 4


def test_datapackage_describes_every_column_and_the_files(researcher, cases):
    zip_path = export_zip(researcher, "csv")
    with zipfile.ZipFile(zip_path) as archive:
        package = json.loads(archive.read("datapackage.json"))
        manifest = json.loads(archive.read("manifest.json"))
        header = next(csv.reader(io.StringIO(archive.read("zaken_r.csv").decode())))
        sps = archive.read("zaken.sps").decode()
    assert package["profile"] == "tabular-data-package"
    assert [resource["path"] for resource in package["resources"]] == ["zaken.csv", "zaken_r.csv"]
    hashes = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    for resource in package["resources"]:
        assert resource["hash"] == f"sha256:{hashes[resource['path']]}"
        fields = resource["schema"]["fields"]
        assert [field["name"] for field in fields] == header
        for field in fields:
            assert field["type"] in {"string", "integer", "boolean"}
            assert field["title"]
    excel = package["resources"][0]
    assert excel["dialect"]["delimiter"] == ";" and excel["encoding"] == "utf-8-sig"
    by_name = {field["name"]: field for field in package["resources"][1]["schema"]["fields"]}
    assert by_name["passend"]["missingValues"] == [
        {"value": "-1", "label": "niet gemeten"},
        {"value": "-2", "label": "gecensureerd"},
    ]
    assert {"value": "bip", "label": "BIP-arm"} in by_name["arm"]["categories"]
    assert by_name["leeftijdsgroep"]["categoriesOrdered"] is True
    # The SPSS syntax reads the same columns and declares the same missing codes.
    for name in header:
        assert f"    {name} " in sps
    assert "MISSING VALUES passend (-2 THRU -1)." in sps


def test_manifest_has_the_freeze_details_and_every_files_checksum(researcher, cases, tmp_path):
    zip_path = export_zip(researcher, "sav")
    files = unpack(zip_path, tmp_path)
    manifest = json.loads(files["manifest.json"].read_text())
    import hashlib

    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name].read_bytes()).hexdigest() == digest, name
    assert manifest["source"] == "daily_snapshot" and manifest["freeze"] is None
    assert manifest["rows"] == 6
    codebook = files["codebook.txt"].read_text()
    assert f"SHA-256 van zaken.sav: {listed['zaken.sav']}" in codebook


@pytest.mark.skipif(
    RSCRIPT is None, reason="Rscript is not installed (apt-get install r-base-core)"
)
def test_the_r_script_works_in_base_r_without_haven(researcher, cases, tmp_path):
    import os

    unpack(export_zip(researcher, "csv"), tmp_path)
    out = run_r(
        tmp_path,
        'cat(class(zaken$arm), "\\n"); cat(levels(zaken$arm), sep = "|"); cat("\\n");'
        'cat(sum(is.na(zaken$passend)), "\\n");'
        'cat(as.character(attr(zaken$passend, "ontbrekend")[is.na(zaken$passend)][1]), "\\n")',
        env={**os.environ, "KK_ZONDER_HAVEN": "1"},
    )
    kind, levels, missing, reason = out.strip().splitlines()
    assert kind.strip() == "factor"
    assert levels == "BIP-arm|Controlearm"
    assert int(missing) == 2
    assert reason.strip() == "niet gemeten"


PSPP = shutil.which("pspp")


def run_spss_syntax(directory, syntax_file: str) -> str:
    """Run the export's SPSS syntax in GNU PSPP (batch) and save what it built as check.sav."""
    script = directory / syntax_file
    script.write_text(script.read_text() + '\nSAVE OUTFILE="check.sav".\n')
    result = subprocess.run(  # noqa: S603 - our own syntax on our own files
        [PSPP, "--batch", "--error-file=errors.txt", syntax_file],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    errors = (directory / "errors.txt").read_text() if (directory / "errors.txt").exists() else ""
    assert result.returncode == 0 and not errors.strip(), result.stdout + errors
    return result.stdout


@pytest.mark.skipif(PSPP is None, reason="GNU PSPP is not installed (apt-get install pspp)")
@pytest.mark.parametrize("file_format", ["csv", "sav"])
def test_the_spss_syntax_loads_the_export_with_labels_and_missing_codes(
    researcher, cases, tmp_path, file_format
):
    import pyreadstat

    unpack(export_zip(researcher, file_format), tmp_path)
    run_spss_syntax(tmp_path, "zaken.sps")

    data, meta = pyreadstat.read_sav(tmp_path / "check.sav", user_missing=True)
    variables = get_dataset(ExportDataset.CASES).variables
    assert meta.number_rows == 6
    assert meta.column_names == [variable.name for variable in variables]
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["arm"] == "Onderzoeksarm"
    # Categories are numbers with their value labels; the two unmeasured cases keep their
    # user-missing code (-1), declared missing.
    assert set(meta.variable_value_labels["arm"].values()) == {"BIP-arm", "Controlearm"}
    assert sorted(data["passend"].tolist()) == [-1, -1, 0, 0, 1, 1]
    assert meta.missing_ranges["passend"] == [{"lo": -2.0, "hi": -1.0}]
    assert meta.variable_measure["arm"] == "nominal"
    assert meta.variable_measure["leeftijdsgroep"] == "ordinal"
