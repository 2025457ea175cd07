"""The data every layer shares: the article and its parts, and URL identity. Imports nothing
of the project."""
from .article import Article, Faq, Link, content_hash, not_an_article, own_identity
from .urls import normalize_url, url_key, without_credentials

__all__ = ["Article", "Faq", "Link", "content_hash", "normalize_url", "not_an_article", "own_identity", "url_key",
           "without_credentials"]
