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
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable


class PlaceholderError(ValueError):
    """A placeholder is not among the compiled query's parameters."""


type Slot = Callable[[dict[str, Any]], Any]  # the call's values -> one SQL parameter


class _Compiled(NamedTuple):
    sql: str
    slots: list[Slot]
    # For `instances`: each selected column's converters, the model's columns and the
    # annotations' positions, as Django's ModelIterable reads them from the compiler.
    converters: dict[int, tuple[list[Callable[..., Any]], Any]]
    model: type[Model] | None
    fields: slice
    attnames: list[str]
    annotations: dict[str, int]


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet[Any, Any]], **placeholders: Any) -> None:
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[str, _Compiled] = {}  # per database alias

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(**self._placeholders).using(using)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = [self._slot(param) for param in params]
        missing = set(self._placeholders) - {getattr(slot, "placeholder", "") for slot in slots}
        if missing:
            raise PlaceholderError(f"placeholders not in the compiled query: {sorted(missing)}")
        # A values() or values_list() query has no instances to make.
        klass_info = (
            (compiler.klass_info or {}) if queryset._iterable_class is ModelIterable else {}
        )
        positions = klass_info.get("select_fields") or [0]
        fields = slice(positions[0], positions[-1] + 1)
        attnames = (
            [column.target.attname for column, *_ in compiler.select[fields]] if klass_info else []
        )
        return _Compiled(
            sql=sql,
            slots=slots,
            converters=compiler.get_converters([column for column, *_ in compiler.select]),
            model=klass_info.get("model"),
            fields=fields,
            attnames=attnames,
            annotations=dict(compiler.annotation_col_map or {}),
        )

    def _slot(self, param: Any) -> Slot:
        """Where a compiled parameter comes from: a placeholder (adapted as the compiler did)
        or the query itself (a constant)."""
        for name, placeholder in self._placeholders.items():
            adapt = _adapter(param, placeholder)
            if adapt is not None:
                return _PlaceholderSlot(name, adapt)
        return lambda values: param

    def _for(self, using: str) -> _Compiled:
        if using not in self._compiled:
            self._compiled[using] = self._compile(using)
        return self._compiled[using]

    def sql(self, using: str = "default") -> str:
        return self._for(using).sql

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

    def instances(self, using: str = "default", **values: Any) -> list[Model]:
        """The rows as the queryset gives them: model instances with their annotations, each
        value through its field's converters (SQLite's text dates, its 0/1 booleans)."""
        compiled = self._for(using)
        if compiled.model is None:
            raise TypeError("instances() needs a queryset of model instances, not values()")
        connection = connections[using]
        objects = []
        for raw in self.fetchall(using, **values):
            row = list(raw)
            for position, (converters, expression) in compiled.converters.items():
                for convert in converters:
                    row[position] = convert(row[position], expression, connection)
            instance = compiled.model.from_db(using, compiled.attnames, row[compiled.fields])
            for name, position in compiled.annotations.items():
                setattr(instance, name, row[position])
            objects.append(instance)
        return objects

    def _statement(self, using: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
        compiled = self._for(using)
        return compiled.sql, [slot(values) for slot in compiled.slots]


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
