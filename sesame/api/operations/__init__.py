"""Operation handlers: wire parameters in, one domain call, wire output out.

Importing this package registers every handler; each module is named here on purpose.
"""

from sesame.api.operations import (
    account_v1,
    account_v2,
    bulk_sending_v2,
    custom_verification_v1,
    custom_verification_v2,
    identities_v1,
    identities_v2,
    notifications_v1,
    receiving_v1,
    sending_v1,
    sending_v2,
    suppression_v2,
    templated_sending_v1,
    templates_v1,
    templates_v2,
)

__all__ = [
    "account_v1",
    "account_v2",
    "bulk_sending_v2",
    "custom_verification_v1",
    "custom_verification_v2",
    "identities_v1",
    "identities_v2",
    "notifications_v1",
    "receiving_v1",
    "sending_v1",
    "sending_v2",
    "suppression_v2",
    "templated_sending_v1",
    "templates_v1",
    "templates_v2",
]
