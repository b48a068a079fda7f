"""The identity model: what is stored about an email address or domain identity, and the
rules for identity names. Behaviour lives in ``sesame.domain.identities``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sesame.domain.dkim import KeyLength
from sesame.domain.errors import InvalidParameterValue

MAX_TAGS = 50

# --- the model --------------------------------------------------------------------------------


class IdentityType(StrEnum):
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    DOMAIN = "DOMAIN"

    @property
    def v1(self) -> str:
        return "EmailAddress" if self is IdentityType.EMAIL_ADDRESS else "Domain"

    @classmethod
    def from_v1(cls, value: str) -> IdentityType:
        return cls.EMAIL_ADDRESS if value == "EmailAddress" else cls.DOMAIN


class Status(StrEnum):
    """Verification status of an identity, its DKIM or its MAIL FROM domain."""

    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    TEMPORARY_FAILURE = "TEMPORARY_FAILURE"
    NOT_STARTED = "NOT_STARTED"

    @property
    def v1(self) -> str:
        return _V1_STATUS[self]

    @property
    def open(self) -> bool:
        """Still being checked: the outcome is not known yet."""
        return self in (Status.PENDING, Status.TEMPORARY_FAILURE)


_V1_STATUS = {
    Status.PENDING: "Pending",
    Status.SUCCESS: "Success",
    Status.FAILED: "Failed",
    Status.TEMPORARY_FAILURE: "TemporaryFailure",
    Status.NOT_STARTED: "NotStarted",
}


class SigningOrigin(StrEnum):
    AWS_SES = "AWS_SES"  # Easy DKIM: Sesame made the keys
    EXTERNAL = "EXTERNAL"  # BYODKIM: the customer brought the key


class MxFailureBehavior(StrEnum):
    USE_DEFAULT_VALUE = "USE_DEFAULT_VALUE"
    REJECT_MESSAGE = "REJECT_MESSAGE"

    @property
    def v1(self) -> str:
        return "UseDefaultValue" if self is MxFailureBehavior.USE_DEFAULT_VALUE else "RejectMessage"

    @classmethod
    def from_v1(cls, value: str) -> MxFailureBehavior:
        return cls.REJECT_MESSAGE if value == "RejectMessage" else cls.USE_DEFAULT_VALUE


class CheckState(StrEnum):
    PENDING = "PENDING"  # something is still open: the checker visits at next_check_at
    DONE = "DONE"  # every status is final


class VerificationError(StrEnum):
    """SES's VerificationInfo.ErrorType for the last failed check."""

    DNS_SERVER_ERROR = "DNS_SERVER_ERROR"
    TYPE_NOT_FOUND = "TYPE_NOT_FOUND"
    INVALID_VALUE = "INVALID_VALUE"


@dataclass
class DkimKey:
    selector: str
    public_key: str  # base64 SubjectPublicKeyInfo, the p= value; public, so stored in clear
    private_key: bytes  # PKCS#8 PEM encrypted by the SecretCipher


@dataclass
class Dkim:
    origin: SigningOrigin
    enabled: bool
    status: Status
    keys: list[DkimKey]
    started_at: float  # when the current DNS check began: the 72-hour deadline runs from here
    key_generated_at: float
    current_key_length: KeyLength | None = None  # Easy DKIM only
    next_key_length: KeyLength | None = None

    @property
    def tokens(self) -> list[str]:
        """Easy DKIM tokens, or the BYODKIM selector: SES reports either as Tokens."""
        return [key.selector for key in self.keys]


@dataclass
class MailFrom:
    domain: str
    behavior: MxFailureBehavior
    status: Status
    started_at: float


@dataclass
class Tag:
    key: str
    value: str


class NotificationType(StrEnum):
    """The feedback an identity can send to an SNS topic (SES's ``NotificationType``)."""

    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"
    DELIVERY = "Delivery"


@dataclass
class NotificationSettings:
    """Where SES-style notifications for mail sent as the identity go."""

    topics: dict[NotificationType, str] = field(default_factory=dict)  # SNS topic ARN per type
    headers_in: set[NotificationType] = field(default_factory=set)  # types that carry the headers


@dataclass
class Identity:
    account_id: str
    name: str
    type: IdentityType
    status: Status
    created_at: float
    # Start of the current verification attempt: deadlines run from here.
    pending_since: float
    verification_token: str | None = None  # v1 domain verification token
    dkim: Dkim | None = None
    mail_from: MailFrom | None = None
    feedback_forwarding: bool = True
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    configuration_set: str | None = None
    tags: list[Tag] = field(default_factory=list)
    check_state: CheckState = CheckState.PENDING
    next_check_at: float | None = None
    last_checked_at: float | None = None
    last_success_at: float | None = None
    last_error: VerificationError | None = None
    version: int = 0  # optimistic concurrency: bumped by every stored change

    @property
    def domain(self) -> str:
        """The domain itself, or the domain part of an address."""
        return self.name.rpartition("@")[2]


@dataclass(frozen=True)
class NotificationAttributes:
    """An identity's notification settings as GetIdentityNotificationAttributes reports them."""

    forwarding_enabled: bool
    topics: dict[NotificationType, str]
    headers_in: frozenset[NotificationType]


@dataclass(frozen=True)
class IdentitySummary:
    """What listings show: enough for ListIdentities and ListEmailIdentities."""

    name: str
    type: IdentityType
    status: Status


@dataclass(frozen=True)
class IdentityView:
    """An identity as the Get operations describe it."""

    identity: Identity
    # The DKIM that applies: an address reports its domain's DKIM when that domain is an
    # identity of the same account (SES: addresses inherit their domain's DKIM).
    dkim: Dkim | None
    # Verified itself, or (an address) through its verified domain.
    verified_for_sending: bool


@dataclass(frozen=True)
class DkimSigningKey:
    """What the sending pipeline needs to sign as ``domain``."""

    domain: str
    selector: str
    private_key_pem: bytes


class ConfirmationOutcome(StrEnum):
    CONFIRMED = "CONFIRMED"
    ALREADY_VERIFIED = "ALREADY_VERIFIED"
    NOT_PENDING = "NOT_PENDING"  # the identity was deleted since the link was sent
    EXPIRED = "EXPIRED"
    INVALID = "INVALID"


@dataclass(frozen=True)
class EmailConfirmation:
    outcome: ConfirmationOutcome
    address: str | None = None
    # From a genuine link only: the account, and the custom verification template whose
    # redirection URLs the page sends the visitor to (None: Sesame's own page).
    account_id: str | None = None
    redirect_template: str | None = None


@dataclass(frozen=True)
class DkimSigningRequest:
    """DkimSigningAttributes of CreateEmailIdentity / PutEmailIdentityDkimSigningAttributes."""

    origin: SigningOrigin | None = None
    selector: str | None = None
    private_key: str | None = None
    next_key_length: KeyLength | None = None


# --- names -----------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
SELECTOR_SYNTAX = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
# RFC 5321 limits; SES refuses addresses beyond them.
_MAX_LOCAL = 64
_MAX_DOMAIN = 253


def normalize_domain(raw: str) -> str:
    """Lower case, no trailing dot, IDNA-encoded; raises InvalidParameterValue."""
    text = raw.strip().rstrip(".").lower()
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidParameterValue(f"Invalid domain name <{raw}>.") from None
    labels = text.split(".")
    if len(text) > _MAX_DOMAIN or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidParameterValue(f"Invalid domain name <{raw}>.")
    return text


def normalize_address(raw: str) -> str:
    """The local part kept as given (SES keeps its case), the domain normalized."""
    local, at, domain = raw.strip().rpartition("@")
    if not at or not local or len(local) > _MAX_LOCAL or any(c.isspace() or ord(c) < 32 for c in local):
        raise InvalidParameterValue(f"Invalid email address<{raw}>.")
    try:
        return f"{local}@{normalize_domain(domain)}"
    except InvalidParameterValue:
        raise InvalidParameterValue(f"Invalid email address<{raw}>.") from None


def parse_identity(raw: str) -> tuple[str, IdentityType]:
    if "@" in raw:
        return normalize_address(raw), IdentityType.EMAIL_ADDRESS
    return normalize_domain(raw), IdentityType.DOMAIN


def lookup_name(raw: str) -> str:
    """The stored name ``raw`` refers to; a name that cannot be valid is looked up as given
    (and not found) so lookups never fail on syntax."""
    try:
        return parse_identity(raw)[0]
    except InvalidParameterValue:
        return raw.strip()


def parent_domains(domain: str) -> list[str]:
    """``a.b.example.com`` -> [a.b.example.com, b.example.com, example.com]: a verified domain
    covers its subdomains (SES: "any subdomain or email address of the verified domain")."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


# arn:<partition>:sns:<region>:<account>:<topic name>; SES publishes to standard topics only.
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$")


def check_topic_arn(arn: str, region: str) -> None:
    """A well-formed ARN of a standard SNS topic in ``region`` (SES only publishes to topics in
    its own region); raises InvalidParameterValue."""
    match = _TOPIC_ARN.match(arn)
    if match is None:
        raise InvalidParameterValue(f"Invalid SNS topic ARN <{arn}>.")
    if match.group(1) != region:
        raise InvalidParameterValue(f"SNS topic <{arn}> is not in region {region}.")


def validate_tags(tags: Iterable[Tag]) -> list[Tag]:
    result = list(tags)
    if len(result) > MAX_TAGS:
        raise InvalidParameterValue(f"Too many tags: at most {MAX_TAGS} are allowed.")
    keys = [tag.key for tag in result]
    if len(set(keys)) != len(keys):
        raise InvalidParameterValue("Duplicate tag keys are not allowed.")
    for tag in result:
        if not 1 <= len(tag.key) <= 128 or len(tag.value) > 256:
            raise InvalidParameterValue("Tag keys must be 1-128 characters and values at most 256.")
        if tag.key.lower().startswith("aws:"):
            raise InvalidParameterValue("Tag keys may not begin with 'aws:'.")
    return result
