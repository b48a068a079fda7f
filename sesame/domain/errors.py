"""Errors the domain raises, each carrying the error code SES gives on the wire.

SES's two API versions name some errors differently (v1 ``AlreadyExists``, v2
``AlreadyExistsException``): ``code`` is the v1 (Query) code and ``v2_code`` the v2 (REST-JSON)
one. The HTTP status comes from botocore's service model where the model defines the error, and
from ``status`` otherwise; the mapping to the wire happens in one place, ``sesame.protocol``.
"""

from __future__ import annotations

from typing import ClassVar


class SesError(Exception):
    """Base of every error that reaches a client."""

    code: ClassVar[str] = "InternalFailure"
    v2_code: ClassVar[str | None] = None  # None: the same as ``code``
    status: ClassVar[int] = 400
    sender_fault: ClassVar[bool] = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def wire_code(self, version: int) -> str:
        if version == 2 and self.v2_code is not None:
            return self.v2_code
        return self.code


class InternalFailure(SesError):
    code = "InternalFailure"
    v2_code = "InternalServiceErrorException"
    status = 500
    sender_fault = False


# --- request shape and protocol ---------------------------------------------------------------


class ValidationError(SesError):
    code = "ValidationError"
    v2_code = "BadRequestException"


class InvalidParameterValue(SesError):
    code = "InvalidParameterValue"
    v2_code = "BadRequestException"


class MissingParameter(SesError):
    code = "MissingParameter"
    v2_code = "BadRequestException"


class InvalidAction(SesError):
    """An action or route we do not know or do not implement (yet)."""

    code = "InvalidAction"
    v2_code = "UnknownOperationException"
    status = 400


class MalformedRequest(SesError):
    code = "MalformedQueryString"
    v2_code = "SerializationException"


# --- authentication (AWS's codes and statuses) -------------------------------------------------


class MissingAuthenticationToken(SesError):
    code = "MissingAuthenticationToken"
    v2_code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignature(SesError):
    code = "IncompleteSignature"
    v2_code = "IncompleteSignatureException"
    status = 403


class InvalidClientTokenId(SesError):
    code = "InvalidClientTokenId"
    v2_code = "UnrecognizedClientException"
    status = 403


class SignatureDoesNotMatch(SesError):
    code = "SignatureDoesNotMatch"
    v2_code = "InvalidSignatureException"
    status = 403


class RequestExpired(SesError):
    # The Query API answers 400 (SES's common errors); REST-JSON's InvalidSignatureException is
    # 403 whatever the cause, which sesame.protocol.restjson knows.
    code = "RequestExpired"
    v2_code = "InvalidSignatureException"
    status = 400


class AccessDenied(SesError):
    code = "AccessDenied"
    v2_code = "AccessDeniedException"
    status = 403


# --- resources -------------------------------------------------------------------------------


class NotFound(SesError):
    """A named resource does not exist (v2 NotFoundException; v1 uses per-resource codes)."""

    code = "NotFoundException"
    v2_code = "NotFoundException"
    status = 404


class AlreadyExists(SesError):
    code = "AlreadyExists"
    v2_code = "AlreadyExistsException"


class LimitExceeded(SesError):
    code = "LimitExceeded"
    v2_code = "LimitExceededException"


class TooManyRequests(SesError):
    code = "Throttling"
    v2_code = "TooManyRequestsException"
    status = 429


class InvalidNextToken(SesError):
    code = "InvalidParameterValue"
    v2_code = "InvalidNextTokenException"


class MessageRejected(SesError):
    code = "MessageRejected"
    v2_code = "MessageRejected"


class Throttling(SesError):
    """Sending quota exceeded: SES answers ``Throttling`` (v1) / ``TooManyRequestsException`` (v2)."""

    code = "Throttling"
    v2_code = "TooManyRequestsException"
    status = 400


class AccountSendingPaused(SesError):
    code = "AccountSendingPausedException"
    v2_code = "SendingPausedException"


class MailFromDomainNotVerified(SesError):
    code = "MailFromDomainNotVerifiedException"
    v2_code = "MailFromDomainNotVerifiedException"


class ConfigurationSetDoesNotExist(SesError):
    code = "ConfigurationSetDoesNotExist"
    v2_code = "NotFoundException"


# --- administration (the `sesame admin` surface, not SES wire errors) --------------------------


class UnknownAccount(SesError):
    code = "UnknownAccount"
    status = 404


class UnknownAccessKey(SesError):
    code = "UnknownAccessKey"
    status = 404


# --- identities ---------------------------------------------------------------------------------


class ConcurrentModification(SesError):
    """A read-modify-write kept losing to concurrent changes of the same resource."""

    code = "ConcurrentModificationException"
    v2_code = "ConcurrentModificationException"
    status = 500
    sender_fault = False


# --- account ------------------------------------------------------------------------------------


class Conflict(SesError):
    """A request that clashes with one still in progress (PutAccountDetails under review)."""

    code = "ConflictException"
    v2_code = "ConflictException"
    status = 409


# --- receiving (v1 only: SES v2 has no receipt rules) -------------------------------------------


class RuleSetDoesNotExist(SesError):
    code = "RuleSetDoesNotExist"


class RuleDoesNotExist(SesError):
    code = "RuleDoesNotExist"


class CannotDelete(SesError):
    """The active receipt rule set cannot be deleted."""

    code = "CannotDelete"


class InvalidS3Configuration(SesError):
    code = "InvalidS3Configuration"


class InvalidSnsTopic(SesError):
    code = "InvalidSnsTopic"


class InvalidLambdaFunction(SesError):
    code = "InvalidLambdaFunction"


# --- templates -----------------------------------------------------------------------------------


class TemplateDoesNotExist(SesError):
    code = "TemplateDoesNotExist"
    v2_code = "NotFoundException"


class InvalidTemplate(SesError):
    """The template's text is not a template Sesame can render (broken Handlebars syntax)."""

    code = "InvalidTemplate"
    v2_code = "BadRequestException"


class InvalidRenderingParameter(SesError):
    """TemplateData that is not a JSON object."""

    code = "InvalidRenderingParameter"
    v2_code = "BadRequestException"


class MissingRenderingAttribute(SesError):
    """The template prints an attribute the rendering data does not hold."""

    code = "MissingRenderingAttribute"
    v2_code = "BadRequestException"


class CustomVerificationEmailTemplateAlreadyExists(SesError):
    code = "CustomVerificationEmailTemplateAlreadyExists"
    v2_code = "AlreadyExistsException"


class CustomVerificationEmailTemplateDoesNotExist(SesError):
    code = "CustomVerificationEmailTemplateDoesNotExist"
    v2_code = "NotFoundException"


class CustomVerificationEmailInvalidContent(SesError):
    code = "CustomVerificationEmailInvalidContent"
    v2_code = "BadRequestException"


class FromEmailAddressNotVerified(SesError):
    code = "FromEmailAddressNotVerified"
    v2_code = "BadRequestException"


class ProductionAccessNotGranted(SesError):
    """Custom verification mail may only be sent by accounts outside the sandbox."""

    code = "ProductionAccessNotGranted"
    v2_code = "BadRequestException"


class DailyQuotaExceeded(Throttling):
    """The 24-hour quota (not the rate) refused the send; on the wire it is a Throttling error."""
