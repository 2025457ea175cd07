"""The SQLite archive of crawled articles, usable without Scrapy."""
