"""`python -m bbn_scraper` is the bbn-archive CLI, and `main` its console entry point. The CLI
is imported inside `main`, so that a Ctrl-C while it loads (its imports take a few tenths of a
second) ends the command as it does once running: "Aborted!" and exit status 1, no traceback."""
import sys


def main() -> None:
    try:
        from bbn_scraper.app.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Aborted!\n")
        sys.exit(1)
    run()


if __name__ == "__main__":
    main()
