"""What the protocol layer hands the API application, and what it takes back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sesame.domain.errors import SesError
from sesame.protocol.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class ApiCall:
    """One parsed API request: ``params`` follow the operation's input shape in botocore's model
    (member names as the model spells them; strings, ints, floats, bools, datetimes, bytes,
    lists and dicts), already validated against it."""

    version: int  # 1: SES v1 Query; 2: SES v2 REST-JSON
    operation: str
    params: dict[str, Any]


class WireProtocol(Protocol):
    version: int

    def operation_name(self, request: HttpRequest) -> str:
        """The operation a request asks for, before authentication; raises InvalidAction."""
        ...

    def parse(self, request: HttpRequest) -> ApiCall:
        """Parse and validate the request's parameters; raises SesError subclasses."""
        ...

    def serialize(self, operation: str, output: Mapping[str, Any], request_id: str) -> HttpResponse: ...

    def serialize_error(self, error: SesError, request_id: str) -> HttpResponse: ...
