"""The graph in the formats other tools of the credential world read: SKOS, SSSOM, CTDL, a Frictionless data package,
compact JSON-LD with certbridge's context, and schema.org for search engines.

Each module reads the built store (or, for the data package, the table documentation) and writes one format; none
of them adds a fact the graph does not hold.
"""
