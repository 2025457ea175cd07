"""export-warc, export-wacz (validated by warcio check and wacz validate) and verify --warc,
which finds a truncated or altered record."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.helpers import rows
from tests.warc.conftest import warc_files, warcio_check


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bbn_scraper", *args], capture_output=True, text=True, timeout=300)


def targets(path: Path) -> list[tuple[str, str]]:
    with open(path, "rb") as stream:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stream)]


def test_export_warc_writes_every_page_and_warcio_check_passes(warc_crawl, tmp_path):
    out = tmp_path / "all.warc.gz"
    result = cli("export-warc", "--db", str(warc_crawl.db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    check = warcio_check(out)
    assert check.returncode == 0 and "fail" not in check.stdout, check.stdout
    pages = rows(warc_crawl.db, "SELECT url FROM pages ORDER BY url")
    found = targets(out)
    assert found[0][0] == "warcinfo"
    assert sorted(url for kind, url in found[1:] if kind != "request") == [p["url"] for p in pages]
    with open(out, "rb") as stream:
        record = next(r for r in ArchiveIterator(stream) if r.rec_type == "response")
        assert record.http_headers.get_header("Content-Type").startswith("text/")


def test_export_warc_of_selected_articles_has_their_pages_only(warc_crawl, tmp_path):
    out = tmp_path / "politics.warc.gz"
    result = cli("export-warc", "--db", str(warc_crawl.db), "--section", "Politics", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert warcio_check(out).returncode == 0
    chosen = {r["url"] for r in rows(warc_crawl.db, "SELECT url FROM articles WHERE section = 'Politics'")}
    exported = {url for kind, url in targets(out) if kind == "response"}
    assert chosen and chosen <= exported and len(exported) < len(rows(warc_crawl.db, "SELECT id FROM pages")) / 3


def test_export_wacz_validates_and_lists_the_articles(warc_crawl, tmp_path):
    out = tmp_path / "news.wacz"
    result = cli("export-wacz", "--db", str(warc_crawl.db), "-o", str(out), "--title", "BBN")
    assert result.returncode == 0, result.stderr
    # py-wacz's progress prints ("Reading and Indexing All WARCs"...) stay off both streams
    assert result.stdout == "" and result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith("exported ") and f"to {out}" in result.stderr
    validate = subprocess.run([str(Path(sys.executable).with_name("wacz")), "validate", "-f", str(out)],
                              capture_output=True, text=True)
    assert validate.returncode == 0 and "is valid" in validate.stdout, validate.stdout + validate.stderr
    with zipfile.ZipFile(out) as wacz:
        header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        index = [json.loads(line.split(b" ", 2)[2]) for line in gzip.decompress(wacz.read("indexes/index.cdx.gz")).splitlines()]
    assert header == {"format": "json-pages-1.0", "id": "pages", "title": "BBN"}
    articles = rows(warc_crawl.db, "SELECT url, headline, published FROM articles")
    assert sorted(p["title"] for p in pages) == sorted(a["headline"] for a in articles)
    assert all(p["ts"].endswith("Z") for p in pages) and sum("date" in p for p in pages) == sum(bool(a["published"]) for a in articles)
    indexed = {entry["url"] for entry in index}
    assert {p["url"] for p in pages} <= indexed  # every listed article replays from the WARC


def test_verify_warc_passes_recorded_files_and_fails_a_truncated_or_altered_one(warc_crawl, tmp_path):
    recorded = warc_files(warc_crawl.warc_dir)[0]
    ok = cli("verify", "--db", str(warc_crawl.db), "--warc", str(warc_crawl.warc_dir))
    assert ok.returncode == 0 and f"ok   WARC {recorded}" in ok.stdout, ok.stdout
    data = recorded.read_bytes()
    members = []
    with open(recorded, "rb") as stream:
        records = ArchiveIterator(stream)
        for _ in records:
            members.append((records.get_record_offset(), records.get_record_length()))
    start, length = members[len(members) * 2 // 3]
    # Cut inside a record's WARC headers, in its body, in its gzip trailer (a cut between two
    # records leaves a shorter valid WARC, which no reader can tell from the file alone).
    truncated = tmp_path / "truncated.warc.gz"
    for cut in (start + 20, start + length // 2, start + length - 4):
        truncated.write_bytes(data[:cut])
        bad = cli("verify", "--db", str(warc_crawl.db), "--warc", str(truncated))
        assert bad.returncode == 1 and "FAIL WARC" in bad.stdout and "cut short" in bad.stdout, (cut - start, bad.stdout)
    # Altered: one article response's headline changed, its gzip member rewritten (valid gzip, wrong digests).
    headline = warc_crawl.manifest["articles"][0]["headline"].encode()
    with open(recorded, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            record.content_stream().read()
            if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == warc_crawl.manifest["articles"][0]["url"]:
                start, length = records.get_record_offset(), records.get_record_length()
                break
    member = gzip.decompress(data[start:start + length])
    assert headline in member
    altered = tmp_path / "altered.warc.gz"
    altered.write_bytes(data[:start] + gzip.compress(member.replace(headline, headline.swapcase())) + data[start + length:])
    bad = cli("verify", "--db", str(warc_crawl.db), "--warc", str(altered))
    assert bad.returncode == 1 and "FAIL WARC" in bad.stdout and "digest" in bad.stdout.lower(), bad.stdout
    assert warc_crawl.manifest["articles"][0]["url"] in bad.stdout


def test_an_output_that_cannot_be_written_is_one_line_and_exit_status_1(warc_crawl, tmp_path):
    (tmp_path / "file").write_text("")
    for command, name in (("export-warc", "x.warc.gz"), ("export-wacz", "x.wacz")):
        result = cli(command, "--db", str(warc_crawl.db), "-o", str(tmp_path / "file" / name))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip().splitlines()[-1] == f"Error: cannot write {tmp_path / 'file' / name}: Not a directory"


def test_a_recorded_page_whose_record_is_not_whole_is_one_line_and_no_file(warc_crawl, tmp_path):
    """A warc_length shorter than the record copied half a record, then failed on the rest as
    an internal error quoting binary."""
    import sqlite3

    from archive.db import copy_archive

    db = copy_archive(warc_crawl.db, warc_crawl.db.parent / "short-length.db")  # beside warc/, which it names
    try:
        conn = sqlite3.connect(db)
        with conn:
            page = conn.execute("SELECT min(id) FROM pages WHERE compression = 'warc'").fetchone()[0]
            conn.execute("UPDATE pages SET warc_length = warc_length - 40 WHERE id = ?", [page])
        conn.close()
        out = tmp_path / "out.warc.gz"
        result = cli("export-warc", "--db", str(db), "-o", str(out))
        assert result.returncode == 1 and f"Error: page {page} (" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "internal error" not in result.stderr
        assert not out.exists()
    finally:
        db.unlink()
