"""The API application: one request in, one response out; shared by API Gateway and local mode."""
