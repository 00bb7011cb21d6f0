"""Evidence: the typed facts every source produces, and the pure parsers that build them."""
