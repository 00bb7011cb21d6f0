"""Typed evidence every source produces, and the pure parsers that build it."""
