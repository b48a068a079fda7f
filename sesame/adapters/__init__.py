"""Implementations of the domain's ports: DynamoDB, KMS, Route 53, DNS."""
