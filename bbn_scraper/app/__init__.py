"""The application: the CLI, reparse, the demo, serve and the Datasette plugin, on top of every other layer."""
