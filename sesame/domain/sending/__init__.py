"""Outbound sending: the checks before a message is accepted, the message itself, and delivery."""
