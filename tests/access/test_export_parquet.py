"""`bbn-archive export --format parquet`: read back with pyarrow, its types checked; related
links in every format."""
from __future__ import annotations

import csv
import json
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from bbn_scraper.app.cli import cli

LINK = pa.list_(pa.struct([("text", pa.string()), ("url", pa.string())]))
UTC = pa.timestamp("us", tz="UTC")


def export(*args: str):
    result = CliRunner().invoke(cli, ["export", *args])
    assert result.exit_code == 0, result.output
    return result


def test_parquet_has_typed_columns_and_every_article(sample_crawl, sample_archive, tmp_path):
    out = tmp_path / "all.parquet"  # the format from the extension
    export("-o", str(out), "--db", str(sample_crawl.db))
    table = pq.read_table(out)
    schema = table.schema
    for name in ("published", "modified", "first_seen", "last_seen"):
        assert schema.field(name).type == UTC, name
    for name in ("id", "word_count", "version", "crawl_id"):
        assert schema.field(name).type == pa.int64(), name
    for name in ("authors", "tags", "keywords", "warnings"):
        assert schema.field(name).type == pa.list_(pa.string()), name
    assert schema.field("faqs").type == pa.list_(pa.struct([("question", pa.string()), ("answer", pa.string())]))
    assert schema.field("related_links").type == schema.field("related_articles").type == LINK
    assert schema.field("headline").type == schema.field("body").type == pa.string()

    rows = {r["canonical_url"]: r for r in table.to_pylist()}
    assert rows.keys() == {a["canonical_url"] for a in sample_crawl.articles}
    for article in sample_crawl.articles:
        row = rows[article["canonical_url"]]
        assert (row["headline"], row["authors"], row["tags"], row["faqs"]) == (
            article["headline"], article["authors"], article["tags"], article["faqs"])
        assert (row["related_links"], row["related_articles"]) == (article["related_links"], article["related_articles"])
        assert row["published"] == datetime.fromisoformat(article["published"])
    stored = sample_archive.db.execute("SELECT id, first_seen FROM articles").fetchall()
    assert {r["id"]: r["first_seen"] for r in rows.values()} == {i: datetime.fromisoformat(s) for i, s in stored}
    published = [r["published"] for r in table.to_pylist()]
    assert published == sorted(published)  # oldest published first, as in the other formats


def test_parquet_to_standard_output_and_with_a_selection(sample_crawl, tmp_path):
    section = sample_crawl.articles[0]["section"]
    result = CliRunner().invoke(cli, ["export", "--format", "parquet", "--section", section, "-o", "-",
                                      "--db", str(sample_crawl.db)])
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "section.parquet"
    out.write_bytes(result.stdout_bytes)
    assert set(pq.read_table(out).column("canonical_url").to_pylist()) == {
        a["canonical_url"] for a in sample_crawl.articles if a["section"] == section}


def test_jsonl_and_csv_include_related_links(sample_crawl, tmp_path):
    export("-o", str(tmp_path / "all.jsonl"), "--db", str(sample_crawl.db))
    export("-o", str(tmp_path / "all.csv"), "--db", str(sample_crawl.db))
    lines = {r["canonical_url"]: r for r in map(json.loads, (tmp_path / "all.jsonl").read_text().splitlines())}
    with (tmp_path / "all.csv").open(newline="", encoding="utf-8") as fh:
        cells = {r["canonical_url"]: r for r in csv.DictReader(fh)}
    for article in sample_crawl.articles:
        url = article["canonical_url"]
        for kind in ("related_links", "related_articles"):
            assert lines[url][kind] == json.loads(cells[url][kind]) == article[kind], (url, kind)
