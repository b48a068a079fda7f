"""botocore's service models for SES v1 and v2, loaded once per process and looked up by name.

Every wire shape (request members, response members, error statuses) comes from these models, so
the protocol layer never restates what the SDKs already agree on. Only the two model files are
read (not a whole botocore session), and each on first use: a v2-only process never loads v1.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

ServiceName = Literal["ses", "sesv2"]

# Pinned: the wire contract is one API version per protocol, whatever newer data botocore ships.
API_VERSIONS: dict[ServiceName, str] = {"ses": "2010-12-01", "sesv2": "2019-09-27"}


class OutputShapeError(TypeError):
    """A handler returned output that does not fit the operation's output shape: a bug, never a
    client error, so it is not a SesError and surfaces as an internal failure."""


@dataclass(frozen=True)
class ErrorInfo:
    """What the model says about one error code: its HTTP status and who is at fault."""

    status: int
    sender_fault: bool


@functools.cache
def _loader() -> Any:
    return Loader()


@functools.cache
def service_model(name: ServiceName) -> Any:
    """The botocore ServiceModel for ``name`` (``ses`` or ``sesv2``)."""
    description = _loader().load_service_model(name, "service-2", API_VERSIONS[name])
    return ServiceModel(description, service_name=name)


@functools.cache
def operation_names(name: ServiceName) -> frozenset[str]:
    return frozenset(service_model(name).operation_names)


def operation_model(name: ServiceName, operation: str) -> OperationModel:
    """The operation's model; KeyError for an operation the service does not have."""
    if operation not in operation_names(name):
        raise KeyError(operation)
    return service_model(name).operation_model(operation)


@functools.cache
def error_index(name: ServiceName) -> dict[str, ErrorInfo]:
    """Wire error code -> what the model says about it. The code is the shape's ``error.code`` where
    the model names one (v1: shape ``AlreadyExistsException`` travels as ``AlreadyExists``), else
    the shape's name (v2)."""
    index: dict[str, ErrorInfo] = {}
    for shape in service_model(name).error_shapes:
        error = shape.metadata.get("error", {})
        code = str(error.get("code") or shape.name)
        status = int(error.get("httpStatusCode", 400))
        # v2 marks server faults with a ``fault`` trait botocore does not expose; their 5xx says the same.
        sender = bool(error.get("senderFault", status < 500))
        index[code] = ErrorInfo(status=status, sender_fault=sender)
    return index


def member_wire_name(shape: Shape, member_name: str) -> str:
    """The name a member travels under: its ``locationName`` if the model gives one."""
    return str(shape.serialization.get("name", member_name))
