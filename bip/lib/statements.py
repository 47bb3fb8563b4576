"""Queries compiled once: a fixed-shape ORM query's SQL, reused with new values.

Building and compiling a queryset with nested subqueries costs the ORM milliseconds of Python
on every call: 2.7 ms for the header's agenda count, 99 % of its time (the database answers in
0.02 ms). A query that runs on every page pays that on every request.

`CompiledQuery(build, name=placeholder, ...)` calls `build(name=placeholder, ...)` once per
database, compiles the queryset, and finds each placeholder among the SQL parameters. A call
then runs the same SQL with the real values in the placeholders' places. The placeholders must
be values no other parameter of the query can have (a negative id, a date in 1901), and `build`
must give the same SQL for every value: no branching on the values, no values in the SQL text.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet


class PlaceholderError(ValueError):
    """A placeholder is not among the compiled query's parameters."""


type Slot = Callable[[dict[str, Any]], Any]  # the call's values -> one SQL parameter


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet[Any, Any]], **placeholders: Any) -> None:
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[str, tuple[str, list[Slot]]] = {}  # database alias -> SQL, slots

    def _compile(self, using: str) -> tuple[str, list[Slot]]:
        queryset = self._build(**self._placeholders).using(using)
        sql, params = queryset.query.get_compiler(using=using).as_sql()
        slots = [self._slot(param) for param in params]
        missing = set(self._placeholders) - {getattr(slot, "placeholder", "") for slot in slots}
        if missing:
            raise PlaceholderError(f"placeholders not in the compiled query: {sorted(missing)}")
        return sql, slots

    def _slot(self, param: Any) -> Slot:
        """Where a compiled parameter comes from: a placeholder (adapted as the compiler did)
        or the query itself (a constant)."""
        for name, placeholder in self._placeholders.items():
            adapt = _adapter(param, placeholder)
            if adapt is not None:
                return _PlaceholderSlot(name, adapt)
        return lambda values: param

    def sql(self, using: str = "default") -> str:
        if using not in self._compiled:
            self._compiled[using] = self._compile(using)
        return self._compiled[using][0]

    def fetchone(self, using: str = "default", **values: Any) -> tuple[Any, ...] | None:
        """The first row of the query with `values` in the placeholders' places (raw database
        values: no field converters run)."""
        with connections[using].cursor() as cursor:
            cursor.execute(*self._statement(using, values))
            return cursor.fetchone()

    def fetchall(self, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        """All rows, as `fetchone` gives the first."""
        with connections[using].cursor() as cursor:
            cursor.execute(*self._statement(using, values))
            return list(cursor.fetchall())

    def _statement(self, using: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
        sql = self.sql(using)
        return sql, [slot(values) for slot in self._compiled[using][1]]


class _PlaceholderSlot:
    def __init__(self, placeholder: str, adapt: Callable[[Any], Any]) -> None:
        self.placeholder = placeholder
        self.adapt = adapt

    def __call__(self, values: dict[str, Any]) -> Any:
        return self.adapt(values[self.placeholder])


def _adapter(param: Any, placeholder: Any) -> Callable[[Any], Any] | None:
    """How the compiler passed `placeholder` on, if `param` is it: as is, or as text (SQLite
    gets dates and datetimes as ISO strings)."""
    if type(param) is type(placeholder) and param == placeholder:
        return _as_is
    if isinstance(placeholder, datetime.date) and param == str(placeholder):
        return str
    return None


def _as_is(value: Any) -> Any:
    return value
