"""The domain core: tables to RDF, validation, reasoning, the store and its versions, routing, queries, exports.

No HTTP, CLI, visualisation or environment access here: every option arrives as an argument (the layering is
enforced by import-linter; see ARCHITECTURE.md).
"""
