"""`python -m archive` is the bbn-archive CLI."""
from archive.cli import main

main()
