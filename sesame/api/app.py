"""The API application: SigV4, protocol, operation, errors. One request in, one response out.

API Gateway's Lambda handler and the local HTTP server both call ``ApiApp.handle``; neither does
anything else with a request.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

import sesame.api.operations  # noqa: F401  (registers every operation handler)
from sesame.api import audit
from sesame.api.context import RequestContext
from sesame.api.registry import handler_for
from sesame.api.verification_page import handle_verification_request
from sesame.domain.errors import InternalFailure, InvalidAction, InvalidClientTokenId, SesError
from sesame.protocol.http import HttpRequest, HttpResponse
from sesame.protocol.select import protocol_for
from sesame.protocol.sigv4 import SigV4Verifier
from sesame.protocol.wire import WireProtocol
from sesame.services import Services

log = logging.getLogger(__name__)

# Told of every API call once answered: the operation (None unless it names a registered one: a
# caller may name anything, and must not be able to mint metric dimensions) and the outcome
# (audit.SUCCESS or the error code).
RequestObserver = Callable[[str | None, str], None]

VERIFY_EMAIL_PATH = "/verify-email"
HEALTH_PATH = "/health"


class ApiApp:
    def __init__(self, services: Services, *, observe: RequestObserver | None = None) -> None:
        self._services = services
        self._observe = observe
        self._verifier = SigV4Verifier(
            region=services.settings.region,
            service="ses",
            secret_for=services.accounts.secret_for,
        )

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        if request.method in ("GET", "HEAD") and request.path == VERIFY_EMAIL_PATH:
            return handle_verification_request(self._services, request)
        if request.method in ("GET", "HEAD") and request.path == HEALTH_PATH:
            return HttpResponse(200, {"content-type": "application/json"}, b'{"status":"ok"}')
        protocol = protocol_for(request)
        if protocol is None:
            return _not_found(request, request_id)
        caller: tuple[str | None, str | None] = (None, None)
        name: str | None = None
        outcome = audit.SUCCESS
        try:
            access_key_id = self._verifier.verify(request)
            credentials = self._services.accounts.credentials_for(access_key_id)
            if credentials is None:  # revoked between the two lookups
                raise InvalidClientTokenId("The security token included in the request is invalid.")
            caller = (credentials[0], access_key_id)
            name = protocol.operation_name(request)
            handler = handler_for(protocol.version, name)
            if handler is None:
                raise InvalidAction(f"The operation {name} is not supported by Sesame.")
            call = protocol.parse(request)
            context = RequestContext(
                account_id=credentials[0],
                access_key_id=access_key_id,
                region=self._services.settings.region,
                request_id=request_id,
                source_ip=request.source_ip,
            )
            output = handler(self._services, context, call.params)
            return protocol.serialize(name, output, request_id)
        except SesError as error:
            outcome = error.wire_code(protocol.version)
            return protocol.serialize_error(error, request_id)
        except Exception:
            # A bug: logged with its traceback here, answered without it.
            log.exception("unhandled error in request %s", request_id)
            failure = InternalFailure("An internal error occurred. Request id " + request_id)
            outcome = failure.wire_code(protocol.version)
            return protocol.serialize_error(failure, request_id)
        finally:
            if name is None:
                name = _operation_name_or_none(protocol, request)
            if self._observe is not None:
                known = name if name is not None and handler_for(protocol.version, name) else None
                self._observe(known, outcome)
            if name is not None and audit.is_audited(name):
                audit.write(
                    audit.audit_record(
                        version=protocol.version,
                        operation=name,
                        outcome=outcome,
                        request_id=request_id,
                        source_ip=request.source_ip,
                        account_id=caller[0],
                        access_key_id=caller[1],
                    )
                )


def _operation_name_or_none(protocol: WireProtocol, request: HttpRequest) -> str | None:
    """The operation a request names, for the audit trail of a call refused before it was read."""
    try:
        return protocol.operation_name(request)
    except Exception:  # an unreadable request names no operation
        return None


def _not_found(request: HttpRequest, request_id: str) -> HttpResponse:
    body = json.dumps({"message": f"No such resource: {request.method} {request.path}"}).encode()
    return HttpResponse(
        404,
        {
            "content-type": "application/json",
            "x-amzn-errortype": "UnknownOperationException",
            "x-amzn-requestid": request_id,
        },
        body,
    )
