"""`bbn-archive extract`: one saved page's article, as the crawler would archive it, without an archive."""
from __future__ import annotations

import json
import urllib.request

from click.testing import CliRunner

from bbn_scraper.app.cli import cli


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:
        return response.read()


def test_extract_prints_the_article_as_json(sample_site, site_manifest, tmp_path):
    expected = next(a for a in site_manifest["articles"] if a["faqs"] and a["related_links"])
    page = tmp_path / "page.html"
    page.write_bytes(fetch(expected["canonical_url"]))
    result = CliRunner().invoke(cli, ["extract", str(page), "--url", expected["canonical_url"], "--json"])
    assert result.exit_code == 0, result.output
    article = json.loads(result.stdout)
    assert article["canonical_url"] == expected["canonical_url"]
    assert (article["headline"], article["authors"], article["tags"], article["faqs"]) == (
        expected["headline"], expected["authors"], expected["tags"], expected["faqs"])
    assert article["related_links"] == expected["related_links"]
    assert article["body"].split("\n\n") == expected["body_paragraphs"]


def test_extract_reads_standard_input_and_prints_text(sample_site, site_manifest):
    expected = next(a for a in site_manifest["articles"] if a["faqs"])
    result = CliRunner().invoke(cli, ["extract", "-", "--url", expected["canonical_url"]],
                                input=fetch(expected["canonical_url"]))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(expected["headline"] + "\n")
    assert expected["body_paragraphs"][-1] in result.stdout
    assert f"Q: {expected['faqs'][0]['question']}\nA: {expected['faqs'][0]['answer']}" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_a_page_that_is_not_an_article_is_one_line_and_status_4(sample_site):
    result = CliRunner().invoke(cli, ["extract", "-", "--url", sample_site.base_url], input=fetch(sample_site.base_url))
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr == "Error: standard input is not an article page (home, listing, search or error page, or no HTML)\n"
