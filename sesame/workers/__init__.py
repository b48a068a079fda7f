"""Queue consumers: what a Lambda with an SQS event source runs, and local mode's poller too."""
