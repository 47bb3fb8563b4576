"""Children's names: the tussenvoegsel, the display name and the name search key.

Dutch surnames often start with a tussenvoegsel ("de", "van", "van der"). BRP and DUO deliver
it separately, and people search with and without it: "Vries", "de Vries" and "eva de vries"
must all find Eva de Vries, and "ozturk" must find Öztürk.

`Child.search_key` is a column the database computes (a stored generated column) from the
first name, tussenvoegsel and last name with `NameSearchKey`: lower case, accents folded,
hyphens as spaces, apostrophes dropped, and a space before every word. A search word then
matches the start of any word of the name with one `LIKE '% word%'`, which a trigram index
serves on PostgreSQL (migration 0010). Because the database computes the key, every write
path (services, the CSV import's bulk_create, the demo's COPY, retention's QuerySet.update)
keeps it right without help. `fold` applies the same table in Python to what the user typed.
"""

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import CharField, F, Func, GeneratedField
from django.db.models.sql.compiler import SQLCompiler

# Letters with accents (both cases: SQLite's LOWER folds ASCII only) and their plain letter.
# One character each, so PostgreSQL's TRANSLATE does them in one call.
_ACCENTED = (
    "àáâãäåāăąÀÁÂÃÄÅĀĂĄ"
    "çćĉċčÇĆĈĊČ"
    "ďđĎĐ"
    "èéêëēĕėęěÈÉÊËĒĔĖĘĚ"
    "ĝğġģĜĞĠĢ"
    "ĥħĤĦ"
    "ìíîïĩīĭįıÌÍÎÏĨĪĬĮİ"
    "ĵĴ"
    "ķĶ"
    "ĺļľŀłĹĻĽĿŁ"
    "ñńņňÑŃŅŇ"
    "òóôõöøōŏőÒÓÔÕÖØŌŎŐ"
    "ŕŗřŔŖŘ"
    "śŝşšșŚŜŞŠȘ"
    "ţťŧțŢŤŦȚ"
    "ùúûüũūŭůűųÙÚÛÜŨŪŬŮŰŲ"
    "ŵŴ"
    "ýÿŷÝŸŶ"
    "źżžŹŻŽ"
)
_PLAIN = (
    "aaaaaaaaaaaaaaaaaa"
    "cccccccccc"
    "dddd"
    "eeeeeeeeeeeeeeeeee"
    "gggggggg"
    "hhhh"
    "iiiiiiiiiiiiiiiiii"
    "jj"
    "kk"
    "llllllllll"
    "nnnnnnnn"
    "oooooooooooooooooo"
    "rrrrrr"
    "ssssssssss"
    "tttttttt"
    "uuuuuuuuuuuuuuuuuuuu"
    "ww"
    "yyyyyy"
    "zzzzzz"
)
# Letters that become two (done before the single-letter table).
_LIGATURES: tuple[tuple[str, str], ...] = (
    ("æ", "ae"),
    ("Æ", "ae"),
    ("œ", "oe"),
    ("Œ", "oe"),
    ("ß", "ss"),
    ("ĳ", "ij"),
    ("Ĳ", "ij"),
)
# Word separators become spaces; apostrophes ("'t Hart", "d'Ancona") are dropped.
_SEPARATORS = "-‐–"
_DROPPED = "'’`´"

assert len(_ACCENTED) == len(_PLAIN), "every accented letter needs its plain letter"

_FOLD_TABLE = str.maketrans(_ACCENTED + _SEPARATORS, _PLAIN + " " * len(_SEPARATORS), _DROPPED) | {
    ord(letter): plain for letter, plain in _LIGATURES
}

# Longer searches are cut: a name has no more words than this that matter.
MAX_SEARCH_WORDS = 4


def fold(text: str) -> str:
    """Lower case with accents folded, as NameSearchKey does in the database."""
    return text.translate(_FOLD_TABLE).lower()


def search_words(text: str) -> list[str]:
    """The words of a name search, folded: "  Eva DE-Vries" -> ["eva", "de", "vries"]."""
    return fold(text).split()[:MAX_SEARCH_WORDS]


def word_patterns(text: str) -> list[str]:
    """One `search_key__contains` value per word: the word after a space, so it matches the
    start of a word of the name."""
    return [f" {word}" for word in search_words(text)]


def full_name(first_name: str, tussenvoegsel: str, last_name: str) -> str:
    """ "Eva", "de", "Vries" -> "Eva de Vries"."""
    return " ".join(part for part in (first_name, tussenvoegsel, last_name) if part)


def last_name_with_prefix(tussenvoegsel: str, last_name: str) -> str:
    """ "de", "Vries" -> "de Vries": how the surname is written after a first name."""
    return " ".join(part for part in (tussenvoegsel, last_name) if part)


# The tussenvoegsels that demo data and old one-field surnames are split on, longest first.
KNOWN_TUSSENVOEGSELS = (
    "van de",
    "van den",
    "van der",
    "van het",
    "van 't",
    "in 't",
    "in de",
    "op de",
    "uit de",
    "van",
    "de",
    "den",
    "der",
    "het",
    "'t",
    "ter",
    "te",
    "ten",
    "el",
    "al",
)


def split_tussenvoegsel(surname: str) -> tuple[str, str]:
    """ "van der Meer" -> ("van der", "Meer"); "Jansen" -> ("", "Jansen").

    Only a lower-case prefix counts ("El Amrani" is one name, as written in the BRP), and the
    last word always stays the last name.
    """
    words = surname.split()
    for size in (2, 1):
        if len(words) > size and " ".join(words[:size]) in KNOWN_TUSSENVOEGSELS:
            return " ".join(words[:size]), " ".join(words[size:])
    return "", surname.strip()


class NameSearchKey(Func):
    """' ' + first name + ' ' + tussenvoegsel + ' ' + last name, folded as `fold` folds.

    Written for a stored generated column, so only immutable SQL: `||` rather than CONCAT(),
    and TRANSLATE/REPLACE with literal tables.
    """

    output_field = CharField()
    arity = 3

    def __init__(self, first_name: str, tussenvoegsel: str, last_name: str) -> None:
        super().__init__(F(first_name), F(tussenvoegsel), F(last_name))

    def _joined(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[str | int]]:
        parts: list[str] = []
        params: list[str | int] = []
        for expression in self.get_source_expressions():
            sql, part_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(part_params)
        return "' ' || " + " || ' ' || ".join(parts), params

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        # SQLite has no TRANSLATE, and its parser refuses more than about 25 nested REPLACEs:
        # `fold` itself, registered on every SQLite connection (register_sqlite_function).
        sql, params = self._joined(compiler, connection)
        return f"{SQLITE_FUNCTION}({sql})", tuple(params)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[str | int, ...]]:
        sql, params = self._joined(compiler, connection)
        for old, new in _LIGATURES:
            sql = f"REPLACE({sql}, %s, %s)"
            params.extend([old, new])
        # TRANSLATE deletes the characters of `from` beyond the end of `to`: the apostrophes.
        sql = f"LOWER(TRANSLATE({sql}, %s, %s))"
        params.extend([_ACCENTED + _SEPARATORS + _DROPPED, _PLAIN + " " * len(_SEPARATORS)])
        return sql, tuple(params)


# The SQLite demo database's generated column calls this function: a database opened without
# the app (the sqlite3 shell) can read children but not write them.
SQLITE_FUNCTION = "kk_fold_name"


def register_sqlite_function(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    """Give every SQLite connection `fold` as kk_fold_name(), deterministic so that a
    generated column may use it."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)


connection_created.connect(register_sqlite_function, dispatch_uid="cases.names.sqlite_fold")


class SearchKeyField(GeneratedField):
    """`Child.search_key`'s field: a stored generated column whose system checks need no
    database connection.

    Django checks a generated field against each database's features, and PostgreSQL's
    features need its server version, so `manage.py check --deploy` would connect to the
    database: a build step without one (CI, an image build) could not run it. Support for
    stored generated columns is a given here (PostgreSQL ≥ 12, SQLite ≥ 3.31; the migration
    creates the column and the test suite runs on both), so the database checks are skipped.
    The field deconstructs as a plain GeneratedField: migrations are unaffected.
    """

    def check(self, **kwargs: Any) -> list[Any]:
        return super().check(**{**kwargs, "databases": []})

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.GeneratedField", args, kwargs
