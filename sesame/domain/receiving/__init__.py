"""Receiving mail: receipt rules, the verdicts on each message, and the actions."""
