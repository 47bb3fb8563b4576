"""Syntax files that load an export ready for analysis, written from the dataset's variables.

- R (`<dataset>.R`, one `source()`): from a CSV export it reads `<dataset>_r.csv` with base R
  only (read.csv), so it runs on any R; with the `haven` package installed the coded variables
  become `haven::labelled_spss` (value labels and the missing codes as user-missing, like the
  SAV), otherwise categories become factors with their labels and the missing codes NA, with
  the reason kept as the attribute "ontbrekend". From a SAV export it reads the SAV with
  `haven::read_sav(user_na = TRUE)`. Every variable gets its label as the attribute "label".
- SPSS (`<dataset>.sps`): from a CSV export it reads the semicolon CSV (GET DATA), turns the
  category codes into their numeric SPSS codes, and sets variable labels, value labels, the
  missing codes (-4 THRU -1) and measurement levels, so the data set matches the SAV; from a
  SAV export it opens the SAV, which holds all of that already.
"""

from __future__ import annotations

from collections.abc import Sequence

from .datasets import BOOLEAN, CATEGORY, INTEGER, MISSING_CODES, TEXT, Dataset, Variable


def _r_string(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _r_vector(items: Sequence) -> str:
    return "c(" + ", ".join(_r_string(item) for item in items) + ")"


def _r_named_numbers(pairs: Sequence[tuple[str, int]]) -> str:
    return "c(" + ", ".join(f"{_r_string(label)} = {number}" for label, number in pairs) + ")"


def r_script(dataset: Dataset, *, data_file: str, sav: bool = False) -> str:
    """The R script for the export's data file (the comma CSV, or the SAV)."""
    lines = _r_opening(dataset, data_file)
    if sav:
        lines += _r_read_sav(dataset.key)
        return "\n".join(lines)
    lines += _r_read_csv(dataset)
    lines += _R_LABEL_FUNCTIONS
    for variable in dataset.variables:
        lines += _r_variable(variable)
    lines += [
        f"  assign({_r_string(dataset.key)}, data, envir = globalenv())",
        "})",
        "",
    ]
    return "\n".join(lines)


def _r_opening(dataset: Dataset, data_file: str) -> list[str]:
    """How to load the export, then the start of the script: where the data file is, and
    whether haven can be used."""
    name = dataset.key
    return [
        f"# Ketenkameleon – {dataset.label}",
        '# Laad de export met één regel in R:  source("' + f"{name}.R" + '")',
        "# (vanuit de map van de uitgepakte ZIP, of met het volledige pad). Daarna staat de data",
        f"# in de data.frame `{name}`. Zie codeboek.txt voor de definities.",
        "",
        "local({",
        "  dir <- tryCatch(dirname(sys.frame(1)$ofile), error = function(e) getwd())",
        "  if (is.null(dir) || !nzchar(dir)) dir <- getwd()",
        f"  path <- file.path(dir, {_r_string(data_file)})",
        "  if (!file.exists(path)) path <- " + _r_string(data_file),
        "  # KK_ZONDER_HAVEN=1 loads with base R only, as on an R without haven.",
        '  has_haven <- requireNamespace("haven", quietly = TRUE) &&',
        '    !identical(Sys.getenv("KK_ZONDER_HAVEN"), "1")',
    ]


def _r_read_sav(name: str) -> list[str]:
    """The rest of the script for a SAV export: haven reads it with its labels."""
    return [
        "  if (!has_haven) stop(\"Voor een SPSS-bestand is het R-pakket 'haven' nodig; "
        'of vraag een CSV-export aan.")',
        "  data <- haven::read_sav(path, user_na = TRUE)",
        "  data <- as.data.frame(data)",
        f"  assign({_r_string(name)}, data, envir = globalenv())",
        "})",
        "",
    ]


def _r_read_csv(dataset: Dataset) -> list[str]:
    """Read the comma CSV with base R, each column as text or integer, and name the missing
    codes."""
    classes = {
        variable.name: (
            "character"
            if variable.kind == TEXT or (variable.kind == CATEGORY and not _numeric_codes(variable))
            else "integer"
        )
        for variable in dataset.variables
    }
    return [
        '  data <- utils::read.csv(path, fileEncoding = "UTF-8", na.strings = "",',
        "    stringsAsFactors = FALSE, check.names = FALSE,",
        "    colClasses = " + _r_named_classes(classes) + ")",
        "  missing_labels <- "
        + _r_named_numbers([(str(label), code) for code, label in MISSING_CODES.items()]),
    ]


# The script's functions `code` (category codes as their SPSS numbers) and `label_variable`
# (labels with haven, otherwise factors and the missing codes NA with their reason).
_R_LABEL_FUNCTIONS = (
    "  code <- function(x, codes) {",
    "    # category codes as numbers (their SPSS codes); missing codes stay negative",
    "    out <- unname(codes[as.character(x)])",
    "    out[is.na(out)] <- suppressWarnings(as.integer(x[is.na(out)]))",
    "    as.numeric(out)",
    "  }",
    "  label_variable <- function(x, label, labels, na_codes) {",
    "    if (has_haven) {",
    "      if (length(labels) || length(na_codes)) x <- as.numeric(x)",
    "      if (length(na_codes)) {",
    "        x <- haven::labelled_spss(x, labels = labels, na_values = na_codes,",
    "          label = label)",
    "      } else if (length(labels)) {",
    "        x <- haven::labelled(x, labels = labels, label = label)",
    '      } else attr(x, "label") <- label',
    "      return(x)",
    "    }",
    "    reason <- NULL",
    "    if (length(na_codes)) {",
    "      hit <- !is.na(x) & x %in% na_codes",
    "      if (any(hit)) {",
    "        reason <- factor(ifelse(hit, x, NA), levels = unname(missing_labels),",
    "          labels = names(missing_labels))",
    "      }",
    "      x[hit] <- NA",
    "    }",
    "    values <- labels[!(labels %in% na_codes)]",
    "    if (length(values) && !is.logical(x)) {",
    "      x <- factor(x, levels = unname(values), labels = names(values))",
    "    }",
    '    attr(x, "label") <- label',
    '    if (!is.null(reason)) attr(x, "ontbrekend") <- reason',
    "    x",
    "  }",
)


def _r_variable(variable: Variable) -> list[str]:
    """The lines that turn a variable's category codes into numbers (a category with text
    codes) and give it its label, value labels and missing codes."""
    lines: list[str] = []
    column = f"data[[{_r_string(variable.name)}]]"
    labels = _value_labels(variable)
    na_codes = "c(" + ", ".join(str(code) for code in variable.missing) + ")"
    if variable.kind == CATEGORY and not _numeric_codes(variable):
        codes = variable.spss_codes()
        mapping = (
            "c("
            + ", ".join(f"{_r_string(str(code))} = {number}" for code, number in codes.items())
            + ")"
        )
        lines.append(f"  {column} <- code({column}, {mapping})")
    lines.append(
        f"  {column} <- label_variable({column}, {_r_string(variable.label)}, "
        f"{_r_named_numbers(labels)}, {na_codes})"
    )
    return lines


def _r_named_classes(classes: dict[str, str]) -> str:
    return "c(" + ", ".join(f"{_r_string(n)} = {_r_string(c)}" for n, c in classes.items()) + ")"


def _numeric_codes(variable: Variable) -> bool:
    return all(isinstance(code, int) for code, _label in variable.choices)


def _value_labels(variable: Variable) -> list[tuple[str, int]]:
    """(label, number) pairs: the category's or yes/no's labels, then the missing codes."""
    pairs: list[tuple[str, int]] = []
    if variable.kind == CATEGORY:
        codes = variable.spss_codes()
        pairs = [(str(label), codes[code]) for code, label in variable.choices]
    elif variable.kind == BOOLEAN:
        pairs = [("nee", 0), ("ja", 1)]
    pairs += [(str(MISSING_CODES[code]), code) for code in variable.missing]
    return pairs


# --------------------------------------------------------------------------------------------
# SPSS
# --------------------------------------------------------------------------------------------


def _sps_string(text: object) -> str:
    return '"' + str(text).replace('"', '""').replace("\n", " ") + '"'


def _sps_format(variable: Variable) -> str:
    if variable.kind == TEXT:
        return f"A{max(variable.width, 1)}"
    if variable.kind == CATEGORY and not _numeric_codes(variable):
        longest = max([len(str(code)) for code, _label in variable.choices] + [2])
        return f"A{longest}"
    if variable.kind == INTEGER:
        return "F8.0"
    return "F3.0"


def spss_syntax(dataset: Dataset, *, data_file: str, sav: bool = False) -> str:
    """The SPSS syntax for the export's data file (the semicolon CSV, or the SAV)."""
    lines = [
        f"* Ketenkameleon – {dataset.label}.",
        "* Zet de map van de uitgepakte ZIP als werkmap (CD 'pad'.) of vul hieronder het",
        "* volledige pad in, en kies Run > All. Zie codeboek.txt voor de definities.",
        "",
    ]
    if sav:
        lines += _sps_open_sav(dataset.key, data_file)
        return "\n".join(lines)
    lines += _sps_get_data(dataset, data_file)
    lines += _sps_recode(dataset)
    lines.append("")
    lines += _sps_labels(dataset)
    lines += _sps_missing_and_levels(dataset)
    lines += ["EXECUTE.", ""]
    return "\n".join(lines)


def _sps_open_sav(name: str, data_file: str) -> list[str]:
    """Open a SAV export, which holds the labels, missing codes and levels already."""
    return [
        f"GET FILE={_sps_string(data_file)}.",
        f"DATASET NAME {name} WINDOW=FRONT.",
        "* Labels, waardelabels, ontbrekende codes (-4 t/m -1) en meetniveaus staan in het",
        "* SPSS-bestand zelf.",
        "",
    ]


def _sps_get_data(dataset: Dataset, data_file: str) -> list[str]:
    """Read the semicolon CSV, each column with its format (category codes as text)."""
    lines = [
        "GET DATA",
        "  /TYPE=TXT",
        f"  /FILE={_sps_string(data_file)}",
        "  /ENCODING='UTF8'",
        "  /DELCASE=LINE",
        '  /DELIMITERS=";"',
        "  /QUALIFIER='\"'",
        "  /ARRANGEMENT=DELIMITED",
        "  /FIRSTCASE=2",
        "  /VARIABLES=",
    ]
    lines += [f"    {variable.name} {_sps_format(variable)}" for variable in dataset.variables]
    lines[-1] += "."
    lines += ["CACHE.", f"DATASET NAME {dataset.key} WINDOW=FRONT.", ""]
    return lines


def _sps_recode(dataset: Dataset) -> list[str]:
    """Turn the text codes of the categories into their numeric SPSS codes (the missing codes
    stay), keeping the variables' names and order."""
    lines: list[str] = []
    coded = [
        variable
        for variable in dataset.variables
        if variable.kind == CATEGORY and not _numeric_codes(variable)
    ]
    for variable in coded:
        codes = variable.spss_codes()
        recodes = " ".join(f"({_sps_string(str(code))}={number})" for code, number in codes.items())
        recodes += "".join(f" ({_sps_string(str(code))}={code})" for code in variable.missing)
        lines.append(f"RECODE {variable.name} {recodes} (ELSE=SYSMIS) INTO {variable.name}_kk.")
    if coded:
        lines.append("EXECUTE.")
        lines.append("DELETE VARIABLES " + " ".join(variable.name for variable in coded) + ".")
        renames = " ".join(f"({variable.name}_kk={variable.name})" for variable in coded)
        lines.append(f"RENAME VARIABLES {renames}.")
        lines.append("ADD FILES FILE=* /KEEP=" + " ".join(dataset.names) + ".")
        lines.append("EXECUTE.")
        lines.append("FORMATS " + " ".join(f"{variable.name} (F3.0)" for variable in coded) + ".")
    return lines


def _sps_labels(dataset: Dataset) -> list[str]:
    """The variable labels, and the value labels of the variables that have them."""
    lines = ["VARIABLE LABELS"]
    label_lines = [
        f"  {variable.name} {_sps_string(variable.label)}" for variable in dataset.variables
    ]
    label_lines[-1] += "."
    lines += label_lines
    value_labelled = [variable for variable in dataset.variables if _value_labels(variable)]
    if value_labelled:
        lines.append("VALUE LABELS")
        for index, variable in enumerate(value_labelled):
            pairs = " ".join(
                f"{number} {_sps_string(label)}" for label, number in _value_labels(variable)
            )
            slash = "  /" if index else "  "
            lines.append(f"{slash}{variable.name} {pairs}")
        lines[-1] += "."
    return lines


def _sps_missing_and_levels(dataset: Dataset) -> list[str]:
    """The missing codes of each variable that may hold them, and the measurement levels."""
    lines: list[str] = []
    with_missing = [variable for variable in dataset.variables if variable.missing]
    for variable in with_missing:
        low = min(variable.missing)
        declared = f"{low} THRU -1" if low < -1 else str(low)
        lines.append(f"MISSING VALUES {variable.name} ({declared}).")
    levels: dict[str, list[str]] = {}
    for variable in dataset.variables:
        levels.setdefault(variable.measure_level, []).append(variable.name)
    spss_level = {"nominal": "NOMINAL", "ordinal": "ORDINAL", "scale": "SCALE"}
    lines.append(
        "VARIABLE LEVEL "
        + " /".join(f"{' '.join(names)} ({spss_level[level]})" for level, names in levels.items())
        + "."
    )
    return lines
