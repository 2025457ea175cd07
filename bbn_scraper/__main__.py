"""`python -m bbn_scraper` is the bbn-archive CLI."""
from bbn_scraper.app.cli import main

if __name__ == "__main__":
    main()
