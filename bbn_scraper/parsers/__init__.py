"""Pure parsers: HTML + URL in, items out. Nothing here imports Scrapy or touches the network."""
from bbn_scraper.parsers.article import PARSER_VERSION, parse_article, parse_page

__all__ = ["PARSER_VERSION", "parse_article", "parse_page"]
