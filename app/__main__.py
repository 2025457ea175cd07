"""`python -m app` is the bbn-archive CLI."""
from app.cli import main

if __name__ == "__main__":
    main()
