"""Local mode: the production handlers in one process, against an embedded AWS emulation."""
