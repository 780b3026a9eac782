"""A SPARQL 1.1 server (Virtuoso, Oxigraph server, ...) as the store, instead of the embedded Oxigraph."""
