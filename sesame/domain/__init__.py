"""The domain: accounts, identities, sending rules. Knows nothing of boto3 or the wire."""
