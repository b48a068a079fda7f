"""The `sesame` command: `sesame local` (local mode), `sesame admin ...`, `sesame smoke` (an
end-to-end check of a deployed stack) and `sesame smtp ...` (the SMTP tiers' container entry
points)."""

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
    local.add_argument(
        "--lambda-function",
        dest="lambda_functions",
        action="append",
        metavar="ARN=TARGET",
        help="run Lambda receipt actions naming ARN as a Python callable (module:function) or an "
        "http(s) endpoint; repeatable",
    )
    local.add_argument(
        "--receiving-block-list",
        metavar="CIDR[,CIDR...]",
        help="the MX's built-in block list (empty: none); default: ranges that never send mail",
    )


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
            "lambda_functions",
            "receiving_block_list",
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


def _smtp_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    smtp = commands.add_parser("smtp", help="run an SMTP tier (its settings come from the environment)")
    tiers = smtp.add_subparsers(dest="smtp_command", required=True)
    tiers.add_parser("submission", help="the SMTP submission server: STARTTLS and implicit TLS, AUTH")
    tiers.add_parser("mx", help="the inbound MX: receipt rules, IP filters, STARTTLS")
    tiers.add_parser("egress", help="the egress relay: takes the delivery workers' mail, delivers to MX")


def _wait_for_signal() -> threading.Event:
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    return stop


def _run_smtp_submission() -> int:
    from sesame.adapters.acm_certificates import export_tls_material
    from sesame.adapters.aws import AwsClients
    from sesame.services import build_services
    from sesame.settings import Settings
    from sesame.smtp.server import build_submission_server
    from sesame.smtp.settings import SmtpSettings
    from sesame.smtp.tls import server_tls_from_settings

    try:
        settings = Settings.from_environment()
        smtp = SmtpSettings.from_environment()
        aws = AwsClients(settings)
        tls = server_tls_from_settings(smtp, lambda arn: export_tls_material(aws.client("acm"), arn))
    except (ValidationError, ValueError, OSError) as error:
        print(f"sesame smtp submission: {error}", file=sys.stderr)
        return 2
    stop = _wait_for_signal()
    server = build_submission_server(
        build_services(settings, aws), smtp, tls.context, certificate_refresher=tls.refresher
    )
    try:
        server.start()
    except OSError as error:
        print(f"sesame smtp submission: cannot start: {error}", file=sys.stderr)
        return 1
    print(
        f"sesame smtp submission ready submission={smtp.host}:{server.submission_port} "
        f"smtps={smtp.host}:{server.smtps_port} region={settings.region}",
        flush=True,
    )
    stop.wait()
    server.stop()
    print("sesame smtp submission stopped", file=sys.stderr, flush=True)
    return 0


def _run_smtp_mx() -> int:
    import asyncio

    from sesame.adapters.acm_certificates import export_tls_material
    from sesame.adapters.aws import AwsClients
    from sesame.adapters.identity_wiring import make_identity_service
    from sesame.adapters.receiving_wiring import make_acceptance, make_mx_policy
    from sesame.adapters.sending_wiring import make_feedback_loop
    from sesame.services import build_services
    from sesame.settings import Settings
    from sesame.smtp.mx import MxServer
    from sesame.smtp.mx_settings import MxSettings

    try:
        settings = Settings.from_environment()
        mx = MxSettings.from_environment()
        host_name = mx.host_name or settings.mail_host_name
        aws = AwsClients(settings)
        tls = mx.server_tls(host_name, lambda arn: export_tls_material(aws.client("acm"), arn))
        # The MX reads identities (is the recipient's domain verified?). Given the sending side's
        # settings too, it also turns bounce and complaint reports for mail Sesame sent into
        # events, suppression and statistics; without them it refuses those reports (550).
        feedback = None
        if settings.delivery_queue_url and settings.spool_bucket and settings.events_topic_arn:
            services = build_services(settings, aws)
            identities = services.identities
            feedback = make_feedback_loop(
                settings,
                aws,
                identities=services.identities,
                suppression=services.suppression,
                statistics=services.statistics,
                feedback_mailer=services.system_mail,
            )
        else:
            identities = make_identity_service(settings, aws)
        server = MxServer(
            host=mx.host,
            port=mx.port,
            policy=make_mx_policy(
                settings, aws, identities=identities, feedback_address=feedback.takes if feedback else None
            ),
            acceptance=make_acceptance(settings, aws),
            tls_context=tls.context,
            certificate_refresher=tls.refresher,
            host_name=host_name,
            limits=mx.limits(),
            threads=mx.threads,
            feedback=feedback.process if feedback else None,
            metrics_interval=mx.metrics_interval,
            metrics_tier=mx.metrics_tier,
        )
    except (ValidationError, ValueError, OSError) as error:
        print(f"sesame smtp mx: {error}", file=sys.stderr)
        return 2

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await server.serve(
            stop, ready=lambda port: print(f"sesame smtp mx ready mx={mx.host}:{port}", flush=True)
        )

    try:
        asyncio.run(serve())
    except OSError as error:
        print(f"sesame smtp mx: cannot start: {error}", file=sys.stderr)
        return 1
    print("sesame smtp mx stopped", file=sys.stderr, flush=True)
    return 0


def _run_smtp_egress() -> int:
    import asyncio

    from sesame.adapters.mx_resolver import MxResolver
    from sesame.adapters.smtp_transport import DirectMxTransport, SmtpOptions
    from sesame.settings import Settings
    from sesame.smtp.egress import EgressRelay, EgressSettings

    try:
        settings = Settings.from_environment()
        egress = EgressSettings.from_environment()
    except (ValidationError, ValueError) as error:
        print(f"sesame smtp egress: {error}", file=sys.stderr)
        return 2
    transport = DirectMxTransport(
        MxResolver(settings.dns_server),
        SmtpOptions(helo_name=settings.mail_host_name),
        port=settings.delivery_port,
    )
    relay = EgressRelay(egress, transport, settings.mail_host_name)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await relay.serve(
            stop,
            ready=lambda port: print(f"sesame smtp egress ready egress={egress.host}:{port}", flush=True),
        )

    try:
        asyncio.run(serve())
    except OSError as error:
        print(f"sesame smtp egress: cannot start: {error}", file=sys.stderr)
        return 1
    print("sesame smtp egress stopped", file=sys.stderr, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sesame", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command", required=True)
    _local_parser(commands)
    from sesame import admin

    admin.add_arguments(commands.add_parser("admin", help="manage accounts and access keys"))
    from sesame import smoke

    smoke.add_arguments(commands.add_parser("smoke", help="an end-to-end check of a deployed stack"))
    _smtp_parser(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("botocore", "urllib3", "werkzeug", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "local":
        return _run_local(args)
    if args.command == "smtp":
        tiers = {"mx": _run_smtp_mx, "egress": _run_smtp_egress, "submission": _run_smtp_submission}
        return tiers[args.smtp_command]()
    if args.command == "smoke":
        return smoke.main(args)
    try:
        admin.print_json(admin.run(args))
    except SesError as error:
        print(f"sesame admin: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
