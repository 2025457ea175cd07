"""bbn-archive's Datasette plugin, registered under the ``datasette`` entry point
(pyproject.toml), so plain ``datasette news.db`` shows an archive as ``bbn-archive serve`` does.
This package is the plugin: Datasette serves its static/ at /-/static-plugins/bbn-archive/ and
adds its templates/ to the template path. Its hooks, from the modules that implement them:

- metadata.py: which served databases are bbn-archives, their metadata (metadata.yml) and
  stylesheet;
- facets.py: the many-to-many and month facets, and the m2m filter;
- reading_room.py: the front page, article pages, stories and story pages, stored pages, ranked
  and filtered search (HTML, JSON, CSV), safe search boxes, the articles tables in reading order,
  dates for humans (the SQL is archive's; reading.py diffs versions and copies, marks snippets);
- errors.py: each server error logged as one line, the error page otherwise Datasette's (a
  server error's page shows no detail); any method but GET, HEAD and OPTIONS refused (405).

`bbn_scraper.app.serve` runs the same plugin with the project's settings."""
from __future__ import annotations

from .errors import error_page, read_only_methods, replace_default_handler
from .facets import m2m_and_month_facets, m2m_filter
from .metadata import archive_css, archives_metadata, find_archives, load_metadata
from .reading_room import (
    date_filters, headline_link, raw_search_as_words, reading_order, reading_room_routes, safe_escape_fts,
)

__all__ = [
    "archive_css", "archives_metadata", "date_filters", "error_page", "find_archives", "headline_link", "load_metadata",
    "m2m_and_month_facets", "m2m_filter", "raw_search_as_words", "read_only_methods", "reading_order", "reading_room_routes",
    "replace_default_handler", "safe_escape_fts",
]
