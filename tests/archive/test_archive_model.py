"""The archive follows the article model: a stored field added to the model reaches an
existing archive file on open (columns, versions, search index), with no SQL written for it."""
from __future__ import annotations

import json
from dataclasses import dataclass

from archive import Archive
from archive.export import columns as export_columns, rows as export_rows
from archive.verify import verify_archive
from model import Article
from model.article import stored

from archive_factories import make_article


@dataclass
class KeywordArticle(Article):
    keywords: list[str] = stored("The page's news_keywords", default_factory=list, json=True, search_weight=2.0)


class KeywordArchive(Archive):
    model = KeywordArticle


def keyword_article(keywords: list[str], **fields) -> KeywordArticle:
    return KeywordArticle(**vars(make_article(**fields)), keywords=keywords)


def test_a_new_stored_field_reaches_an_existing_archive(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path, create=True) as arc:
        crawl_id = arc.start_crawl([])
        old_id = arc.store_article(make_article(), crawl_id=crawl_id).article_id

    with KeywordArchive(path) as arc:
        assert arc.db["articles"].columns_dict["keywords"] is str
        assert "keywords" in arc.db["article_versions"].columns_dict
        assert [c.name for c in arc.db["articles_fts"].columns] == ["headline", "summary", "body", "keywords"]
        assert arc.db["articles"].get(old_id)["keywords"] == "[]"

        article = keyword_article(["zeppelin", "harbour"], url="https://www.bbn.example/news/2")
        new_id = arc.store_article(article, crawl_id=crawl_id).article_id
        assert json.loads(arc.db["articles"].get(new_id)["keywords"]) == ["zeppelin", "harbour"]
        assert [r.id for r in arc.search("zeppelin")] == [new_id]
        assert "keywords" in export_columns(arc)

        changed = keyword_article(["airship"], url="https://www.bbn.example/news/2", body="A new body.")
        assert arc.store_article(changed, crawl_id=crawl_id).outcome == "updated"
        (version,) = arc.db.query("SELECT keywords FROM article_versions WHERE article_id = ?", [new_id])
        assert json.loads(version["keywords"]) == ["zeppelin", "harbour"]
        assert [r.id for r in arc.search("airship")] == [new_id] and arc.search("zeppelin") == []
        exported = {r["id"]: r for r in export_rows(arc)}
        assert json.loads(exported[new_id]["keywords"]) == ["airship"]
    assert all(check.ok for check in verify_archive(path))


def test_reopening_follows_the_model_again_without_rewriting_it(tmp_path):
    path = tmp_path / "a.db"
    KeywordArchive(path, create=True).close()
    with KeywordArchive(path) as arc:
        schema = arc.db.schema
    with KeywordArchive(path) as arc:
        assert arc.db.schema == schema

    with Archive(path) as arc:  # the field left the model: its column stays, the index drops it
        assert "keywords" in arc.db["articles"].columns_dict
        assert [c.name for c in arc.db["articles_fts"].columns] == ["headline", "summary", "body"]
        crawl_id = arc.start_crawl([])
        arc.store_article(make_article(), crawl_id=crawl_id)
        assert len(arc.search("minister")) == 1
    assert all(check.ok for check in verify_archive(path))
