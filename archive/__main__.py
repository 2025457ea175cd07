"""`python -m archive` is the bbn-archive CLI."""
from archive.cli import main

if __name__ == "__main__":
    main()
