"""Sesame: an email platform that speaks Amazon SES's API, run in your own AWS account."""

__version__ = "0.1.0"
