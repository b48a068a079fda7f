"""Integration tests run against moto with DynamoDB's per-request atomicity, as local mode does."""

from sesame.local.emulation_atomicity import serialize_dynamodb_requests

serialize_dynamodb_requests()
