"""Live checks: each connects, and returns evidence values; none raises for a server's fault."""
