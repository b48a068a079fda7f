#!/usr/bin/env python3
"""CDK entry point: typed config from the cdk.json context, one stack, cdk-nag. No AWS calls."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import cdk_nag

from stacks import ConfigError, create_app


def main(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    """Synthesize. The CDK CLI passes context and output directory through the environment
    (CDK_CONTEXT_JSON, CDK_OUTDIR); tests pass them here, since the jsii process that CDK runs in
    keeps the environment it started with."""
    try:
        app, _stack = create_app(context, outdir=outdir)
    except ConfigError as error:
        sys.exit(str(error))
    # cdk-nag 3 is a policy-validation plugin: any unacknowledged finding makes synth fail, and
    # every acknowledgement sits beside the construct it concerns, with its reason.
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    app.synth()
    return app


if __name__ == "__main__":
    main()
