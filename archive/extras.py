"""The optional parts of the package (pyproject.toml's extras): a feature whose library is not
installed says which extra brings it, in one line, before it starts any work."""
from __future__ import annotations

import importlib

from .errors import MissingExtra


def require(module: str, extra: str, feature: str):
    """The module `module`, or `MissingExtra` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{feature} needs {module}, which is not installed: pip install 'bbn-archive[{extra}]'"
                           " (make install installs every extra)") from None
