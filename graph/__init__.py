"""The domain core: tables to RDF, validation, the store, queries.

Pure, typed functions over rdflib graphs and the Oxigraph store. No HTTP, CLI, visualisation or
environment access here: every option arrives as an argument (the layering is enforced by import-linter).
"""
