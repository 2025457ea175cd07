"""Server errors, from a server subprocess's output: `bbn-archive serve` and plain `datasette`
(with the plugin, as installed) log each as one line - method, path, exception type and
message - never a traceback nor local variables (rich's, which Datasette prints when rich is
installed); a 404 is logged not at all. The error: a stored page whose WARC file is gone."""
from __future__ import annotations

import pytest

from archive.warc_store import resolve
from tests.helpers import copy_archive, datasette_command, fetch, free_port, serve_command, server
from tests.helpers import rows as sql_rows


@pytest.mark.parametrize("command", [serve_command, datasette_command], ids=["bbn-archive serve", "datasette"])
def test_a_server_error_is_one_line_and_a_404_none(warc_crawl, tmp_path, command):
    db = copy_archive(warc_crawl.db, tmp_path / "news.db")  # without its warc/ folder: the bodies are missing
    (page,) = sql_rows(db, "SELECT id, warc_file FROM pages WHERE compression = 'warc' ORDER BY id LIMIT 1")
    missing = resolve(page["warc_file"], str(db))
    assert not missing.exists()
    port = free_port()
    with server(command(db, port), port, tmp_path) as running:
        assert fetch(f"{running.base}news/-/article/999999").status == 404
        assert fetch(f"{running.base}nosuchdb").status == 404
        assert fetch(f"{running.base}news/-/page/{page['id']}").status == 500
        assert fetch(f"{running.base}news/-/page/{page['id']}.json").status == 404  # no such route
        stdout, stderr = running.stdout(), running.stderr()
    logged = [line for line in stderr.splitlines() if not line.startswith("INFO:")]  # uvicorn's (`datasette`)
    assert logged == [f"ERROR GET /news/-/page/{page['id']}: ArchiveError: WARC file {missing} is missing"], stderr
    for printed in (stdout, stderr):  # rich prints its tracebacks to stdout
        assert "Traceback" not in printed and "locals" not in printed and "│" not in printed, printed
