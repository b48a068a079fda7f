"""The `sesame` command: `sesame local` (local mode) and `sesame admin ...`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from pydantic import ValidationError

from sesame.domain.errors import SesError
from sesame.settings import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY


def _local_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    local = commands.add_parser("local", help="run Sesame on this machine against an embedded AWS")
    local.add_argument("--host", default="127.0.0.1", help="address every listener binds")
    local.add_argument("--api-port", type=int, default=8787)
    local.add_argument("--aws-port", type=int, default=4566)
    local.add_argument("--submission-port", type=int, default=2587)
    local.add_argument("--smtps-port", type=int, default=2465)
    local.add_argument("--mx-port", type=int, default=2525)
    local.add_argument("--relay", metavar="HOST:PORT", help="deliver all outbound mail to this server")
    local.add_argument("--dns", metavar="HOST:PORT", help="DNS server for verification and MX lookups")
    local.add_argument("--region", help="region in ARNs, signatures, SMTP passwords")
    local.add_argument("--production", action="store_true", help="bootstrap account outside the sandbox")
    local.add_argument("--max-send-rate", type=float)
    local.add_argument("--max-24-hour-send", type=float)
    local.add_argument("--check-interval", type=float, default=5.0)
    local.add_argument("--retry-base", type=float, default=5.0)


def _run_local(args: argparse.Namespace) -> int:
    from sesame.local.options import LocalOptions
    from sesame.local.runner import LocalSesame

    values = {
        name: getattr(args, name)
        for name in (
            "host",
            "api_port",
            "aws_port",
            "submission_port",
            "smtps_port",
            "mx_port",
            "relay",
            "dns",
            "region",
            "production",
            "max_send_rate",
            "max_24_hour_send",
            "check_interval",
            "retry_base",
        )
    }
    try:
        options = LocalOptions.with_environment(values)
    except (ValidationError, ValueError) as error:
        print(f"sesame local: {error}", file=sys.stderr)
        return 2
    if not options.keys_from_environment:
        print(
            "SESAME_ACCESS_KEY_ID and SESAME_SECRET_ACCESS_KEY are unset; using the documented "
            f"defaults: access key id {DEFAULT_ACCESS_KEY_ID}, secret {DEFAULT_SECRET_ACCESS_KEY}",
            file=sys.stderr,
        )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    runner = LocalSesame(options)
    try:
        runner.start()
    except OSError as error:
        print(f"sesame local: cannot start: {error}", file=sys.stderr)
        runner.stop()
        return 1
    print(runner.ready_line(), flush=True)
    stop.wait()
    runner.stop()
    print("sesame stopped", file=sys.stderr, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sesame", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command", required=True)
    _local_parser(commands)
    from sesame import admin

    admin.add_arguments(commands.add_parser("admin", help="manage accounts and access keys"))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("botocore", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "local":
        return _run_local(args)
    try:
        admin.print_json(admin.run(args))
    except SesError as error:
        print(f"sesame admin: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
