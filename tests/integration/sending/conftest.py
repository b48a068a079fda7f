from __future__ import annotations

import pytest
from moto import mock_aws

from sesame.adapters.aws import AwsClients
from sesame.local.provision import provision
from sesame.settings import Settings


@pytest.fixture
def aws_env():
    """Provisioned tables, queue, spool bucket and topic in moto: (aws clients, settings)."""
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        yield aws, provision(aws, base)
