"""Datasette plugin of bbn-archive: two facet types Datasette 0.65 lacks, configured in
metadata.yml (or asked for in the URL: ``?_facet_m2m=article_tags``, ``?_facet_month=published``).

``m2m: <through table>``
    Facet a table by a many-to-many relation: ``m2m: article_authors`` on ``articles`` counts
    the articles of each author (labelled by the authors table's label column). The through
    table is found by its foreign keys: one to the faceted table, one to the other table.
    Selecting a value adds ``?_m2m_article_authors=<label>`` to the URL, a filter this plugin
    also provides; several values are all required.
``month: <column>``
    Facet an ISO 8601 date column by month (``2023-09``), newest month first. Selecting one
    adds Datasette's own ``<column>__startswith=2023-09`` filter.

Only facets and a filter: no hook here renders cell values, so page content stays escaped
text.
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import BadRequest

M2M_ARG = "_m2m_"


async def m2m_relation(datasette, database: str, table: str, through: str) -> dict | None:
    """How `through` links `table` to another table, or None if it does not:
    {through, ours (through column -> table), our_pk, other, other_col, other_pk, label}."""
    db = datasette.get_database(database)
    if through not in await db.table_names():
        return None
    fks = await db.foreign_keys_for_table(through)
    ours = [fk for fk in fks if fk["other_table"] == table]
    others = [fk for fk in fks if fk["other_table"] != table]
    if not ours or not others:
        return None
    ours, other = ours[0], others[0]
    label = await db.label_column_for_table(other["other_table"]) or other["other_column"]
    return {
        "through": through, "ours": ours["column"], "our_pk": ours["other_column"],
        "other": other["other_table"], "other_col": other["column"],
        "other_pk": other["other_column"], "label": label,
    }


class _CountsFacet(Facet):
    """A facet from a query of (value, count) rows: each value a link that adds (or removes)
    the filter `arg=value`."""

    async def _counted(self, sql: str, name: str, arg: str, facet_value: str, source: str,
                       pairs: list, size: int) -> dict | None:
        """The facet's results for Datasette, or None if the query ran out of time."""
        try:
            rows = await self.ds.execute(
                self.database, sql, self.params, truncate=False,
                custom_time_limit=self.ds.setting("facet_time_limit_ms"),
            )
        except QueryInterrupted:
            return None
        values = []
        for row in rows.rows[:size]:
            value = str(row["value"])
            selected = (arg, value) in pairs
            toggle = (path_with_removed_args if selected else path_with_added_args)(self.request, {arg: value})
            values.append({
                "value": value, "label": value, "count": row["count"], "selected": selected,
                "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)),
            })
        return {
            "name": name, "type": self.type, "results": values,
            "hideable": source != "metadata",
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {f"_facet_{self.type}": facet_value})),
            "truncated": len(rows) > size,
        }


class M2MFacet(_CountsFacet):
    """Counts of the faceted rows per row of a table linked through a many-to-many table;
    with ``count_column`` (``m2m: {through: article_tags, count_column: article_count}``), the
    other table's column that counts its rows, read instead when the table is not filtered."""

    type = "m2m"

    def _unfiltered(self) -> bool:
        """Whether the facet counts the whole table: no filter, search or m2m selection."""
        return not self.params and " where " not in self.sql.lower()

    async def facet_results(self):
        results, timed_out = [], []
        if not self.table:
            return results, timed_out
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            through = config.get("through") or config["simple"]
            rel = await m2m_relation(self.ds, self.database, self.table, through)
            if rel is None:
                continue
            e = {k: escape_sqlite(v) for k, v in rel.items()}
            counted = config.get("count_column") if isinstance(config, dict) else None
            if counted and self._unfiltered():
                sql = f"""
                select {e['label']} as value, {escape_sqlite(counted)} as count from {e['other']}
                where {escape_sqlite(counted)} > 0 and {e['label']} is not null
                order by count desc, value limit {size + 1}"""
            else:
                sql = f"""
                select o.{e['label']} as value, count(distinct i.{e['our_pk']}) as count
                from ({self.sql}) i
                join {e['through']} t on t.{e['ours']} = i.{e['our_pk']}
                join {e['other']} o on o.{e['other_pk']} = t.{e['other_col']}
                where o.{e['label']} is not null
                group by o.{e['other_pk']}
                order by count desc, value
                limit {size + 1}"""
            facet = await self._counted(sql, rel["other"], M2M_ARG + through, through, source, pairs, size)
            if facet is None:
                timed_out.append(rel["other"])
            else:
                results.append(facet)
        return results, timed_out


class MonthFacet(_CountsFacet):
    """Counts per month (the first seven characters of an ISO 8601 date), newest first."""

    type = "month"

    async def facet_results(self):
        results, timed_out = [], []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = f"""
                select substr({col}, 1, 7) as value, count(*) as count
                from ({self.sql})
                where {col} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*'
                group by value order by value desc
                limit {size + 1}"""
            facet = await self._counted(sql, column, f"{column}__startswith", column, source, pairs, size)
            if facet is None:
                timed_out.append(column)
            else:
                results.append(facet)
        return results, timed_out


@hookimpl(specname="register_facet_classes")
def m2m_and_month_facets():
    return [M2MFacet, MonthFacet]


@hookimpl(specname="filters_from_request")
def m2m_filter(request, database, table, datasette):
    """``?_m2m_<through table>=<label>``: only rows linked to the row of the other table with
    that label (the filter the m2m facet's links add)."""
    args = [(key, value) for key in request.args if key.startswith(M2M_ARG)
            for value in request.args.getlist(key)]
    if not args:
        return None

    async def inner():
        wheres, params, descriptions = [], {}, []
        for i, (key, value) in enumerate(args):
            through = key[len(M2M_ARG):]
            rel = await m2m_relation(datasette, database, table, through)
            if rel is None:
                raise BadRequest(f"{key}: {through} is not a many-to-many table of {table}")
            e = {k: escape_sqlite(v) for k, v in rel.items()}
            param = f"m2m_{i}"
            wheres.append(
                f"{e['our_pk']} in (select t.{e['ours']} from {e['through']} t"
                f" join {e['other']} o on o.{e['other_pk']} = t.{e['other_col']}"
                f" where o.{e['label']} = :{param})"
            )
            params[param] = value
            descriptions.append(f'{rel["other"]} include "{value}"')
        return FilterArguments(wheres, params, descriptions)

    return inner
