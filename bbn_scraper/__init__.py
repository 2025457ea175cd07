"""bbn-archive's Scrapy project and everything above the archive: the parsers (`parsers`), the
crawler (`crawler`, with `settings` beside it as scrapy.cfg expects), and the application
(`app`: the CLI, the Datasette plugin, the demo with its sample site, `sample_site`)."""
