"""Every registered handler names a real operation of botocore's model for its API version."""

from __future__ import annotations

import botocore.session

import sesame.api.operations  # noqa: F401  (registers the handlers)
from sesame.api.registry import implemented

_SERVICE = {1: "ses", 2: "sesv2"}


def test_every_registered_operation_exists_in_the_service_model() -> None:
    session = botocore.session.get_session()
    names = {v: set(session.get_service_model(s).operation_names) for v, s in _SERVICE.items()}
    registered = implemented()
    assert registered, "no operation registered"
    unknown = sorted((v, op) for v, op in registered if op not in names[v])
    assert unknown == []


def test_the_identity_operations_of_both_versions_are_registered() -> None:
    registered = implemented()
    for op in ("CreateEmailIdentity", "GetEmailIdentity", "ListEmailIdentities", "DeleteEmailIdentity"):
        assert (2, op) in registered
    for op in ("VerifyEmailIdentity", "VerifyDomainIdentity", "VerifyDomainDkim", "ListIdentities"):
        assert (1, op) in registered
