"""Scenarios: the schema, the loader and the built-in TOML files."""
