"""The archive follows the article model: a stored field added to the model reaches an
existing archive file on open (columns, versions, search index), with no SQL written for it."""
from __future__ import annotations

import json
from dataclasses import dataclass, fields

from archive import Archive, known_urls
from archive.export import columns as export_columns, rows as export_rows
from archive.verify import verify_archive
from archive.model import Article
from archive.model.article import storage, stored

from tests.helpers import make_article


# The fields searched today, read from the model's metadata.
SEARCHED = [f.name for f in fields(Article) if storage(f) == "column" and f.metadata["search_weight"] > 0]


@dataclass
class ProbeArticle(Article):
    """The model with one more stored field (a name no real field will take)."""

    probe_terms: list[str] = stored("Test terms", default_factory=list, json=True, search_weight=2.0)


class ProbeArchive(Archive):
    model = ProbeArticle


def probe_article(terms: list[str], **values) -> ProbeArticle:
    return ProbeArticle(**vars(make_article(**values)), probe_terms=terms)


def test_a_new_stored_field_reaches_an_existing_archive(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path, create=True) as arc:
        crawl_id = arc.start_crawl([])
        old_id = arc.store_article(make_article(), crawl_id=crawl_id).article_id

    with ProbeArchive(path) as arc:
        assert arc.db["articles"].columns_dict["probe_terms"] is str
        assert "probe_terms" in arc.db["article_versions"].columns_dict
        assert [c.name for c in arc.db["articles_fts"].columns] == SEARCHED + ["probe_terms"]
        assert arc.db["articles"].get(old_id)["probe_terms"] == "[]"

        article = probe_article(["zeppelin", "harbour"], url="https://www.bbn.example/news/2")
        new_id = arc.store_article(article, crawl_id=crawl_id).article_id
        assert json.loads(arc.db["articles"].get(new_id)["probe_terms"]) == ["zeppelin", "harbour"]
        assert [r.id for r in arc.search("zeppelin")] == [new_id]
        assert "probe_terms" in export_columns(arc)

        changed = probe_article(["airship"], url="https://www.bbn.example/news/2", body="A new body.")
        assert arc.store_article(changed, crawl_id=crawl_id).outcome == "updated"
        (version,) = arc.db.query("SELECT probe_terms FROM article_versions WHERE article_id = ?", [new_id])
        assert json.loads(version["probe_terms"]) == ["zeppelin", "harbour"]
        assert [r.id for r in arc.search("airship")] == [new_id] and arc.search("zeppelin") == []
        exported = {r["id"]: r for r in export_rows(arc)}
        assert json.loads(exported[new_id]["probe_terms"]) == ["airship"]
    assert all(check.ok for check in verify_archive(path))


def test_reopening_follows_the_model_again_without_rewriting_it(tmp_path):
    path = tmp_path / "a.db"
    ProbeArchive(path, create=True).close()
    with ProbeArchive(path) as arc:
        schema = arc.db.schema
    with ProbeArchive(path) as arc:
        assert arc.db.schema == schema

    with Archive(path) as arc:  # the field left the model: its column stays, the index drops it
        assert "probe_terms" in arc.db["articles"].columns_dict
        assert [c.name for c in arc.db["articles_fts"].columns] == SEARCHED
        crawl_id = arc.start_crawl([])
        arc.store_article(make_article(), crawl_id=crawl_id)
        assert len(arc.search("minister")) == 1
    assert all(check.ok for check in verify_archive(path))


def test_missing_fields_is_the_headline_and_body_rule():
    assert make_article().missing_fields() == []
    assert make_article(headline=None).missing_fields() == ["headline"]
    assert make_article(headline="", body="").missing_fields() == ["headline", "body"]


def test_known_urls_of_no_archive_is_empty_and_creates_nothing(tmp_path):
    path = tmp_path / "none.db"
    assert known_urls(path) == {}
    assert not path.exists()
