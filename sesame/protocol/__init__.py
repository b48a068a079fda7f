"""The wire: SES v1 Query/XML and v2 REST-JSON, parsed and serialized from botocore's models; SigV4."""
