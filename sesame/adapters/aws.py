"""boto3 clients, made once per process, pointed at the endpoint the settings name."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from sesame.settings import Settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=20)


class AwsClients:
    """Lazily created, cached boto3 clients (clients are thread-safe; creating them is not cheap)."""

    def __init__(self, settings: Settings, session: boto3.Session | None = None) -> None:
        self._settings = settings
        self._session = session or boto3.Session(region_name=settings.region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            found = self._clients.get(service)
            if found is None:
                found = self._session.client(
                    service,
                    region_name=self._settings.region,
                    endpoint_url=self._settings.aws_endpoint_url,
                    config=_CONFIG,
                )
                self._clients[service] = found
            return found

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def kms(self) -> Any:
        return self.client("kms")

    @property
    def route53(self) -> Any:
        return self.client("route53")
