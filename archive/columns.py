"""The article columns of the archive, derived from the fields of the article model
(`archive.model.stored`): their SQL, their values for a row, and which of them are versioned and
searched. Nothing here names an article field."""
from __future__ import annotations

import json
import typing
from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime, timezone
from functools import cache
from typing import Any

from archive.model import Article
from archive.model.article import storage


@dataclass(frozen=True)
class Column:
    """One column of `articles` (and of `article_versions` when versioned) for a model field."""

    name: str
    sql_type: str  # TEXT or INTEGER
    nullable: bool
    default: Any  # the value stored for None, and the column's SQL default; None: no default
    versioned: bool
    search_weight: float
    json: bool
    doc: str

    def definition(self, adding: bool = False) -> str:
        """The column definition of CREATE TABLE, or with `adding` of ALTER TABLE ADD COLUMN
        (which cannot add NOT NULL without a default to rows that exist)."""
        parts = [self.name, self.sql_type]
        if not self.nullable and not (adding and self.default is None):
            parts.append("NOT NULL")
        if self.default is not None:
            parts.append(f"DEFAULT {_sql_literal(self.default)}")
        return " ".join(parts)

    def value(self, article: Article) -> Any:
        """This column's value for `article`: datetimes as ISO 8601, lists as JSON text."""
        value = getattr(article, self.name)
        if value is None:
            return self.default
        if self.json:
            return to_json(value)
        return to_iso(value) if isinstance(value, date) else value


@dataclass(frozen=True)
class ArticleColumns:
    """The article columns of a model: all, the versioned ones and the searched ones (in
    model order)."""

    all: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.all]

    @property
    def versioned(self) -> list[Column]:
        return [c for c in self.all if c.versioned]

    @property
    def searchable(self) -> list[Column]:
        return [c for c in self.all if c.search_weight > 0]

    @property
    def search_names(self) -> list[str]:
        return [c.name for c in self.searchable]

    @property
    def json(self) -> list[str]:
        return [c.name for c in self.all if c.json]

    def row(self, article: Article) -> dict[str, Any]:
        """The column values of `article`, by column name."""
        return {c.name: c.value(article) for c in self.all}


@cache
def article_columns(model: type = Article) -> ArticleColumns:
    """The columns the archive keeps for `model` (a dataclass with `archive.model.stored` fields)."""
    hints = typing.get_type_hints(model)
    columns = []
    for f in fields(model):
        if storage(f) != "column":
            continue
        meta, hint = f.metadata, hints[f.name]
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hint
        default = "[]" if meta["json"] else None if f.default is MISSING else f.default
        columns.append(Column(
            name=f.name, sql_type="INTEGER" if base is int else "TEXT", nullable=optional,
            default=default, versioned=meta["versioned"], search_weight=meta["search_weight"],
            json=meta["json"], doc=meta["doc"],
        ))
    return ArticleColumns(tuple(columns))


def to_iso(value: datetime | date | str | None) -> str | None:
    """ISO 8601 text: aware datetimes converted to UTC, naive ones and strings kept as they are."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        value = value.astimezone(timezone.utc)
    return value.isoformat() if isinstance(value, date) else value


def to_json(value: Any) -> str:
    """JSON text as the archive writes it: UTF-8 kept, keys sorted."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _sql_literal(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
