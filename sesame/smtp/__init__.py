"""SMTP servers: submission and inbound MX."""
