"""The crawler: the bbn spider, its pipelines and middlewares, the parse workers and the archive writer (a Scrapy project: scrapy.cfg names bbn_scraper.settings)."""
