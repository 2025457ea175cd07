"""`bbn-archive stories`: the story clusters (archive.stories) carried by several sites, and
reclustering the archive with other settings."""
from __future__ import annotations

import json
from dataclasses import asdict, replace

import click

from archive.db import Archive
from archive.stories import StorySettings, list_stories
from bbn_scraper.app.oneline import json_safe, terminal_safe
from bbn_scraper.app.options import clear_errors, db_option
from bbn_scraper.app.query_command import blob_json


@click.command()
@db_option()
@click.option("--min-sites", type=click.IntRange(min=1), default=2, show_default=True,
              help="Only stories carried by at least this many sites (1: every story, most of one article).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of stories, each with its articles.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), help="Recluster first: this Jaccard threshold.")
@click.option("--num-perm", type=click.IntRange(min=16, max=1024),
              help="Recluster first: this many MinHash permutations (16 to 1,024).")
@click.option("--shingle", type=click.IntRange(min=1, max=16), help="Recluster first: shingles of this many words (up to 16).")
@clear_errors
def stories(db, min_sites, as_json, threshold, num_perm, shingle):
    """Stories carried by more than one site: near-duplicate articles (rewrites of one story)
    grouped, largest first. --threshold, --num-perm or --shingle recluster every article with
    that setting, which the archive keeps.

    \b
    Example:
        bbn-archive stories --db news.db --min-sites 2
    """
    with Archive(db) as archive:
        changes = {k: v for k, v in (("threshold", threshold), ("num_perm", num_perm), ("shingle", shingle)) if v is not None}
        if changes:
            with archive.crawl_lock(), archive.transaction():
                archive.stories.recluster(replace(StorySettings.of(archive.db.conn), **changes))
        found = list_stories(archive.db.conn, min_sites)
        settings = StorySettings.of(archive.db.conn)
    if as_json:
        click.echo(json_safe(json.dumps(found, ensure_ascii=False, indent=2, default=blob_json)))
        return
    s = asdict(settings)
    click.echo(f"{len(found)} stories on {min_sites}+ sites (threshold {s['threshold']}, {s['num_perm']} permutations,"
               f" {s['shingle']}-word shingles)")
    for story in found:
        click.echo(terminal_safe(f"\nstory {story['id']}: {story['size']} articles, {story['sites']} sites,"
                                 f" first seen {story['first_seen']}"))
        for a in story["articles"]:
            click.echo(terminal_safe(f"  [{a['id']}] {a['site']}  {a['headline']}\n        {a['url']}"))
