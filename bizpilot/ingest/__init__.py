"""Importers: read tabular files, map columns, validate, dedupe by natural key, write in one transaction."""
