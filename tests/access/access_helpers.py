"""Helpers of the access tests: the crawled sample and the manifest's searchable text."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path

from model import Article

# The article columns the archive keeps as JSON text, by the model's field metadata.
JSON_COLUMNS = frozenset(f.name for f in fields(Article) if f.metadata.get("json"))


@dataclass(frozen=True)
class Sample:
    db: Path
    manifest: dict

    @property
    def articles(self) -> list[dict]:
        return self.manifest["articles"]

    def by_url(self, url: str) -> dict:
        return next(a for a in self.articles if a["canonical_url"] == url)


def decoded(row: dict) -> dict:
    """An articles row with its JSON columns decoded."""
    return {k: json.loads(v) if k in JSON_COLUMNS else v for k, v in row.items()}


def article_text(article: dict) -> str:
    """Everything of a manifest article that is searchable, lower-cased."""
    faqs = [f"{f['question']} {f['answer']}" for f in article["faqs"]]
    return " ".join([article["headline"], article["summary"] or "", article["body"], *faqs]).lower()


def has_word(article: dict, word: str) -> bool:
    return re.search(rf"\b{re.escape(word.lower())}\b", article_text(article)) is not None
