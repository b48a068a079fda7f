"""Operation handlers: wire parameters in, one domain call, wire output out.

Importing this package registers every handler; each module is named here on purpose.
"""

from sesame.api.operations import identities_v1, identities_v2

__all__ = ["identities_v1", "identities_v2"]
