"""Hostile input classes shared by the form fuzzer and the query-parameter fuzzer.

One value per class of input that has crashed a view before (issue 10: huge digit strings,
NUL bytes, far dates, over-long text) or easily could.
"""

HOSTILE: dict[str, str] = {
    "huge_digits": "9" * 5000,  # int() refuses more than 4,300 digits with ValueError
    "int64_overflow": "9" * 20,  # too big for a database integer column
    "negative": "-1",
    "huge_negative": "-" + "9" * 20,
    "nul_byte": "\x00",  # PostgreSQL refuses NUL in text
    "nul_in_number": "1\x00",
    "far_date_max": "9999-12-31",  # the last date: "one day later" overflows
    "far_date_min": "0001-01-01",  # the first date: "one day earlier" overflows
    "five_digit_year": "10000-01-01",
    "over_long_text": "x" * 10_000,
    "unicode_junk": "😀\u202e\u0301\ufeff\u200bé\ufffd" * 10,
}
FAR_DATES = ("9999-12-31", "0001-01-01", "10000-01-01", "-1", "31-12-9999", "01-01-0001")
