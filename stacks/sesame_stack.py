"""SesameStack: composes the capabilities and grants each function what it needs, no more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from sesame.settings import METRICS_NAMESPACE
from stacks.access_logs import AccessLogBucket
from stacks.alarms import AlarmTopic
from stacks.api import Api
from stacks.audit import AuditLog
from stacks.bundling import lambda_code
from stacks.config import SesameConfig
from stacks.containers import tier_image
from stacks.customer_resources import (
    grant_customer_bucket_writes,
    grant_customer_function_calls,
    grant_customer_key_use,
)
from stacks.customer_topics import grant_customer_topic_lookup, grant_customer_topic_publishing
from stacks.dashboard import Dashboard
from stacks.data import Data
from stacks.dkim_zone import DkimZone
from stacks.egress import EgressTier
from stacks.event_stream import EventStream
from stacks.function import ARCHITECTURE, RUNTIME
from stacks.keys import Keys
from stacks.mail_dns import MailDns
from stacks.network import Network
from stacks.outputs import add_outputs
from stacks.receiving import Receiving
from stacks.scanners import scanner_sidecars
from stacks.sending import Sending
from stacks.smtp_service import Sidecar
from stacks.smtp_tiers import MX_LISTENERS, SUBMISSION_LISTENERS, PublicSmtpTier, tls_secrets
from stacks.verification import VerificationScheduler

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class SesameStack(cdk.Stack):
    """Sesame's AWS deployment: API, data, keys, DKIM zone, verification scheduler, outbound sending,
    receiving, the public SMTP tiers when enabled, and the dashboard."""

    def __init__(self, scope: Construct, construct_id: str, *, config: SesameConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Sesame: an email platform that speaks Amazon SES's API",
            **kwargs,
        )
        self.config = config
        self._exported_certificates: dict[str, str] = {}
        removal = cdk.RemovalPolicy.RETAIN if config.deletion_protection else cdk.RemovalPolicy.DESTROY
        retention = _RETENTION[config.log_retention_days]

        self.keys = Keys(
            self,
            "Keys",
            main_alias=config.main_key_alias,
            link_mac_alias=config.link_mac_key_alias,
            removal_policy=removal,
        )
        self.data = Data(
            self,
            "Data",
            key=self.keys.main,
            deletion_protection=config.deletion_protection,
            removal_policy=removal,
        )
        self.dkim_zone = (
            DkimZone(
                self,
                "DkimZone",
                zone_name=config.signing_zone,
                hosted_zone_id=config.dkim_hosted_zone_id,
                removal_policy=removal,
            )
            if config.signing_zone
            else None
        )
        self.mail_dns = (
            MailDns(
                self,
                "MailDns",
                zone_name=config.dns_zone_name,
                hosted_zone_id=config.dns_hosted_zone_id,
                removal_policy=removal,
            )
            if config.dns_zone_name
            else None
        )

        self.network = Network(
            self,
            "Network",
            cidr=config.vpc_cidr,
            availability_zones=config.availability_zones,
            max_azs=config.max_azs,
            pools=config.ip_pools,
            default_reverse_dns=config.mail_host_name,
            log_key=self.keys.main,
            log_retention=retention,
            removal_policy=removal,
        )

        self.access_logs = AccessLogBucket(
            self, "AccessLogs", retention_days=config.log_retention_days, removal_policy=removal
        )
        self.alarms = AlarmTopic(self, "Alarms", email=config.alarm_email, removal_policy=removal)

        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.network.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.egress = EgressTier(
            self,
            "Egress",
            network=self.network,
            cluster=self.cluster,
            image=tier_image("egress"),
            environment=self._tier_environment(),
            first_port=config.egress_port,
            min_tasks=config.egress_tasks,
            max_tasks=config.egress_max_tasks,
            cpu=config.task_cpu,
            memory_mb=config.task_memory_mb,
            connections_per_task=config.egress_connections_per_task,
            log_key=self.keys.main,
            log_retention=retention,
            removal_policy=removal,
        )

        code = lambda_code(runtime=RUNTIME, architecture=ARCHITECTURE)
        environment = self._runtime_environment()
        sending_environment = {**environment, **self._sending_environment()}
        self.sending = Sending(
            self,
            "Sending",
            key=self.keys.main,
            code=code,
            environment={**sending_environment, **self._delivery_environment()},
            worker_memory_mb=config.worker_memory_mb,
            worker_timeout=cdk.Duration.seconds(config.worker_timeout_seconds),
            worker_reserved_concurrency=config.worker_reserved_concurrency,
            batch_size=config.worker_batch_size,
            batching_window=cdk.Duration.seconds(config.worker_batching_window_seconds),
            max_receive_count=config.max_receive_count,
            max_delivery_age_seconds=config.max_delivery_age_seconds,
            queue_age_alarm=cdk.Duration.minutes(config.queue_age_alarm_minutes),
            access_logs=self.access_logs.bucket,
            alarms=self.alarms,
            log_retention=retention,
            removal_policy=removal,
            vpc=self.network.vpc,
            vpc_subnets=self.network.app_subnets,
        )
        self.receiving = Receiving(
            self,
            "Receiving",
            key=self.keys.main,
            code=code,
            # Bounce actions send DSNs through the sending pipeline.
            environment={**sending_environment, **self.sending.runtime_environment},
            worker_memory_mb=config.worker_memory_mb,
            max_receive_count=config.max_receive_count,
            queue_age_alarm=cdk.Duration.minutes(config.queue_age_alarm_minutes),
            access_logs=self.access_logs.bucket,
            alarms=self.alarms,
            log_retention=retention,
            removal_policy=removal,
        )
        api_environment = {
            **sending_environment,
            **self.sending.runtime_environment,
            **self.receiving.runtime_environment,
        }
        self.event_stream = EventStream(
            self,
            "EventStream",
            bus_name=config.event_bus_name if config.event_bus_enabled else None,
            events_topic=self.sending.events,
            key=self.keys.main,
            code=code,
            environment={"POWERTOOLS_SERVICE_NAME": "sesame", "LOG_LEVEL": config.log_level},
            memory_mb=config.event_consumer_memory_mb,
            max_receive_count=config.max_receive_count,
            queue_age_alarm=cdk.Duration.minutes(config.queue_age_alarm_minutes),
            firehose_stream_arns=config.event_firehose_stream_arns,
            alarms=self.alarms,
            log_retention=retention,
            removal_policy=removal,
        )
        self.audit = AuditLog(self, "Audit", key=self.keys.main, retention=retention, removal_policy=removal)
        self.api = Api(
            self,
            "Api",
            code=code,
            environment={**api_environment, **self.audit.environment},
            memory_mb=config.api_memory_mb,
            throttle_rate=config.api_throttle_rate,
            throttle_burst=config.api_throttle_burst,
            public_base_url=config.link_base_url,
            log_key=self.keys.main,
            log_retention=retention,
            removal_policy=removal,
        )
        self.audit.grant_write(self.api.function)
        self.api_domains = self._api_domains()
        self.verification = VerificationScheduler(
            self,
            "Verification",
            code=code,
            # The checker runs on the same Settings model, so it sees the same values.
            environment={**environment, "SESAME_PUBLIC_BASE_URL": self.api.public_base_url},
            memory_mb=config.checker_memory_mb,
            every=cdk.Duration.minutes(config.identity_check_minutes),
            log_key=self.keys.main,
            log_retention=retention,
            removal_policy=removal,
        )
        # The worker builds links and reports too: the same public base URL as the API. Set after
        # the API exists; no cycle, since the HTTP API itself refers to no function.
        self.sending.function.add_environment("SESAME_PUBLIC_BASE_URL", self.api.public_base_url)
        self.receiving.function.add_environment("SESAME_PUBLIC_BASE_URL", self.api.public_base_url)
        self.submission = (
            self._public_tier(
                "Submission",
                tier="submission",
                description="SMTP submission",
                # The same settings as the API: it accepts mail through the same sending service.
                environment={
                    **api_environment,
                    "SESAME_PUBLIC_BASE_URL": self.api.public_base_url,
                    **self._exported_certificate(
                        "SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN", self._submission_certificate()
                    ),
                },
                secrets=tls_secrets(self, config.smtp_tls_secret_arn) if config.smtp_tls_secret_arn else None,
                ports=SUBMISSION_LISTENERS,
                min_tasks=config.submission_tasks,
                max_tasks=config.submission_max_tasks,
            )
            if config.submission_enabled
            else None
        )
        self.mx = (
            self._public_tier(
                "Mx",
                tier="mx",
                description="inbound MX",
                # Receiving's settings, plus the sending side's: bounce and complaint reports for
                # mail Sesame sent arrive here and become events, suppression and statistics.
                environment={
                    **api_environment,
                    **self.receiving.runtime_environment,
                    "SESAME_PUBLIC_BASE_URL": self.api.public_base_url,
                    **self._exported_certificate(
                        "SESAME_MX_TLS_ACM_CERTIFICATE_ARN", config.mx_tls_certificate_arn
                    ),
                },
                secrets=None,
                ports=MX_LISTENERS,
                min_tasks=config.mx_tasks,
                max_tasks=config.mx_max_tasks,
                sidecars=scanner_sidecars() if config.mx_scanning_enabled else (),
            )
            if config.mx_enabled
            else None
        )
        self._grant()
        if self.mail_dns:
            self._mail_records(self.mail_dns)
        self.dashboard = self._dashboard()
        add_outputs(self)

    def _public_tier(
        self,
        construct_id: str,
        *,
        tier: str,
        description: str,
        environment: dict[str, str],
        secrets: dict[str, ecs.Secret] | None,
        ports: Mapping[int, int],
        min_tasks: int,
        max_tasks: int,
        sidecars: Sequence[Sidecar] = (),
    ) -> PublicSmtpTier:
        config = self.config
        return PublicSmtpTier(
            self,
            construct_id,
            network=self.network,
            cluster=self.cluster,
            image=tier_image(tier),
            description=description,
            # The tier defaults first: the given settings (the DKIM zone among them) win.
            environment={**self._tier_environment(), **environment},
            secrets=secrets,
            ports=ports,
            min_tasks=min_tasks,
            max_tasks=max_tasks,
            cpu=config.mx_cpu if tier == "mx" else config.task_cpu,
            memory_mb=config.mx_memory_mb if tier == "mx" else config.task_memory_mb,
            # Clients send a message or a few per session; two minutes lets them finish.
            deregistration_delay=cdk.Duration.seconds(120),
            tier=tier,
            connections_per_task=config.smtp_connections_per_task,
            log_key=self.keys.main,
            log_retention=_RETENTION[config.log_retention_days],
            removal_policy=cdk.RemovalPolicy.RETAIN
            if config.deletion_protection
            else cdk.RemovalPolicy.DESTROY,
            sidecars=sidecars,
        )

    def _certificate(self, construct_id: str, domain_name: str, arn: str | None) -> acm.ICertificate:
        """The given certificate, or one requested for ``domain_name`` and validated through the
        deployment's zone (the configuration allows no other case)."""
        if arn:
            return acm.Certificate.from_certificate_arn(self, construct_id, arn)
        assert self.mail_dns, "config: a domain without a certificate lies in dns_zone_name"
        return acm.Certificate(
            self,
            construct_id,
            domain_name=domain_name,
            validation=acm.CertificateValidation.from_dns(self.mail_dns.zone),
        )

    def _submission_certificate(self) -> str | None:
        """The exportable ACM certificate the submission tasks serve: as configured, or one requested
        here for the submission host name and validated through the deployment's zone."""
        config = self.config
        if config.smtp_tls_certificate_arn:
            return config.smtp_tls_certificate_arn
        if not config.submission_certificate_requested or not self.mail_dns or not config.submission_host:
            return None
        certificate = acm.Certificate(
            self,
            "SubmissionCertificate",
            domain_name=config.submission_host,
            validation=acm.CertificateValidation.from_dns(self.mail_dns.zone),
            # Exportable: the tasks terminate TLS themselves (STARTTLS cannot end at the load balancer).
            allow_export=True,
        )
        return certificate.certificate_arn

    def _exported_certificate(self, variable: str, arn: str | None) -> dict[str, str]:
        """The variable naming an exportable certificate a tier's tasks serve, remembered for the
        grant of its export."""
        if arn is None:
            return {}
        self._exported_certificates[variable] = arn
        return {variable: arn}

    def _api_domains(self) -> dict[str, apigwv2.DomainName]:
        """The API's custom domains: its own name for SDKs, and the domain of links in mail."""
        config, domains = self.config, {}
        for key, name, arn in (
            ("Api", config.api_domain_name, config.api_certificate_arn),
            ("Tracking", config.tracking_domain_name, config.tracking_certificate_arn),
        ):
            if name:
                certificate = self._certificate(f"{key}Certificate", name, arn)
                domains[name] = self.api.add_custom_domain(
                    f"{key}Domain", domain_name=name, certificate=certificate
                )
        return domains

    def _mail_records(self, dns: MailDns) -> None:
        """The records of the deployment's zone; names outside it are the team's to publish."""
        config = self.config
        groups: list[list[str]] = []
        hosts: dict[str, list[str]] = {}
        for pool in config.ip_pools:
            pool_addresses = [a for a in self.network.addresses if a.pool == pool.name]
            known = [a.public_ip for a in pool_addresses if a.public_ip]
            groups.append(known)
            host = pool_addresses[0].reverse_dns
            if host and config.in_dns_zone(host):
                hosts.setdefault(host, []).extend(known)
        if config.spf_include and config.in_dns_zone(config.spf_include):
            dns.spf_record(config.spf_include, groups)
        for host, host_addresses in hosts.items():
            dns.host_addresses(host, host_addresses)
        # Mail without a custom MAIL FROM domain returns to <MessageId>@mail_host_name.
        if config.mail_host_name and config.in_dns_zone(config.mail_host_name) and config.feedback_mx_host:
            dns.return_path(
                config.mail_host_name, feedback_host=config.feedback_mx_host, spf_include=config.spf_include
            )
        if self.submission and config.submission_host and config.in_dns_zone(config.submission_host):
            dns.load_balancer_alias(config.submission_host, self.submission.load_balancer)
        if self.mx:
            for host in (config.inbound_mx_host, config.feedback_mx_host):
                if host and config.in_dns_zone(host):
                    dns.load_balancer_alias(host, self.mx.load_balancer)
        for name, domain in self.api_domains.items():
            if config.in_dns_zone(name):
                dns.api_alias(name, domain)
        report_domain = (
            config.dmarc_report_email.rpartition("@")[2].lower() if config.dmarc_report_email else None
        )
        for mail_domain in config.mail_domains:
            if report_domain and report_domain != mail_domain and config.in_dns_zone(report_domain):
                dns.dmarc_report_authorization(mail_domain, report_domain)
            dns.mail_domain(
                mail_domain,
                inbound_host=config.inbound_mx_host,
                spf_include=config.spf_include,
                mail_from_domain=f"{config.mail_from_subdomain}.{mail_domain}",
                feedback_host=config.feedback_mx_host,
                dmarc_policy=config.dmarc_policy,
                dmarc_report_email=config.dmarc_report_email,
            )
        zone = self.dkim_zone
        if zone and zone.name_servers is not None and config.in_dns_zone(zone.zone_name):
            dns.delegate(zone.zone_name, zone.name_servers)

    def _runtime_environment(self) -> dict[str, str]:
        """The variables sesame.settings.Settings.from_environment reads, plus Powertools'.

        Not set: SESAME_AWS_ENDPOINT_URL and SESAME_DNS_SERVER (real AWS, the VPC resolver) and the
        bootstrap account's SESAME_ACCESS_KEY_ID / SESAME_SECRET_ACCESS_KEY: a secret has no place
        in a function's environment; accounts are created with `sesame admin`.
        """
        config, data, keys, zone = self.config, self.data, self.keys, self.dkim_zone
        environment = {
            "POWERTOOLS_SERVICE_NAME": "sesame",
            "LOG_LEVEL": config.log_level,
            "SESAME_TABLE_ACCOUNTS": data.accounts.table_name,
            "SESAME_TABLE_ACCESS_KEYS": data.access_keys.table_name,
            "SESAME_TABLE_IDENTITIES": data.identities.table_name,
            "SESAME_TABLE_TEMPLATES": data.templates.table_name,
            "SESAME_TABLE_RECEIPT_RULES": data.receipt_rules.table_name,
            "SESAME_TABLE_RECEIPTS": data.receipts.table_name,
            # ARNs rather than aliases: an alias can be repointed, and grants name key ARNs.
            "SESAME_KMS_KEY_ID": keys.main.key_arn,
            "SESAME_LINK_MAC_KEY_ID": keys.link_mac.key_arn,
            # Empty means "no managed DKIM zone" (customers publish their TXT records).
            "SESAME_DKIM_SIGNING_ZONE": zone.zone_name if zone else "",
            "SESAME_DKIM_HOSTED_ZONE_ID": zone.hosted_zone_id if zone else "",
            "SESAME_CHECK_INTERVAL": str(config.identity_check_minutes * 60),
            # New accounts' starting point.
            "SESAME_DEFAULT_SANDBOX": "true" if config.default_sandbox else "false",
            "SESAME_SANDBOX_MAX_SEND_RATE": f"{config.sandbox_max_send_rate:g}",
            "SESAME_SANDBOX_MAX_24_HOUR_SEND": f"{config.sandbox_max_24_hour_send:g}",
        }
        if config.feedback_mx_host:
            environment["SESAME_MAIL_FROM_MX_HOST"] = config.feedback_mx_host
        if config.spf_include:
            environment["SESAME_SPF_INCLUDE_DOMAIN"] = config.spf_include
        return environment

    def _sending_environment(self) -> dict[str, str]:
        """What the functions that accept and deliver mail (API, delivery worker) add to that: the
        sending tables and the deployment's host name. The queue, spool and topic come from
        Sending itself."""
        data = self.data
        environment = {
            "SESAME_TABLE_QUOTAS": data.quotas.table_name,
            "SESAME_TABLE_SUPPRESSION": data.suppression.table_name,
            "SESAME_TABLE_STATISTICS": data.statistics.table_name,
            "SESAME_TABLE_DELIVERIES": data.deliveries.table_name,
        }
        if self.config.mail_host_name:
            environment["SESAME_MAIL_HOST_NAME"] = self.config.mail_host_name
        return environment

    def _delivery_environment(self) -> dict[str, str]:
        """The delivery worker's own settings: retries, and the relay when there is one."""
        config = self.config
        environment = {
            "SESAME_RETRY_BASE": str(config.retry_base_seconds),
            "SESAME_MAX_DELIVERY_AGE": str(config.max_delivery_age_seconds),
        }
        # The egress tier's first pool, unless another relay is configured (a smarthost).
        environment["SESAME_RELAY"] = config.relay or self.egress.default_relay
        return environment

    def _tier_environment(self) -> dict[str, str]:
        """What every SMTP tier's tasks read through sesame.settings.Settings."""
        environment = {"SESAME_DKIM_SIGNING_ZONE": ""}
        if self.config.mail_host_name:
            environment["SESAME_MAIL_HOST_NAME"] = self.config.mail_host_name
        return environment

    def _grant(self) -> None:
        api, checker, worker = self.api.function, self.verification.function, self.sending.function
        data, sending = self.data, self.sending
        # The API serves every operation: all tables (item reads and writes: quotas are reserved,
        # the suppression list edited, statistics and delivery records read), secrets, link MACs,
        # DKIM records. It accepts mail: spool, queue, Send events. It checks that notification
        # topics customers name exist.
        data.grant_read_write(api, *data.tables.values())
        self.keys.grant_secrets(api)
        self.keys.grant_link_signing(api)
        if self.dkim_zone:
            self.dkim_zone.grant_record_changes(api)
        sending.grant_enqueue(api)
        sending.grant_publish_events(api)
        grant_customer_topic_lookup(api)
        # The checker only reads DNS and records the outcome on identities: that table alone (the
        # grant includes the key use its encryption needs), no secrets, no Route 53.
        data.grant_read_write(checker, data.identities)
        # The worker (the queue trigger grants it consumption of the queue) records each recipient's
        # outcome, counts it, suppresses bounced addresses; it reads identities (and decrypts their
        # DKIM keys) and accounts; it re-queues deferred tasks, reads and deletes spooled bodies,
        # publishes events and the customers' notifications.
        data.grant_read_write(worker, data.deliveries, data.statistics, data.suppression)
        data.grant_read(worker, data.identities, data.accounts)
        self.keys.grant_secret_reading(worker)
        sending.grant_requeue(worker)
        sending.grant_spool_reading(worker)
        sending.grant_publish_events(worker)
        grant_customer_topic_publishing(worker)
        self._grant_receiving()
        self._grant_tiers()

    def _grant_receiving(self) -> None:
        api, worker = self.api.function, self.receiving.function
        data, receiving = self.data, self.receiving
        # The receipt worker records each message's progress, reads identities (the recipients'
        # accounts), reads the stored message, and runs the actions: customers' buckets (with their
        # keys, for client-side encryption), topics and functions; Bounce sends through the sending
        # pipeline. It re-queues a task whose action failed, and counts PublishFailure/Expired (the
        # function's metrics namespace).
        data.grant_read_write(worker, data.receipts)
        data.grant_read(worker, data.identities)
        receiving.grant_message_reading(worker)
        receiving.grant_requeue(worker)
        grant_customer_bucket_writes(worker)
        self.keys.main.grant(worker, "kms:GenerateDataKey")
        grant_customer_key_use(worker, "kms:GenerateDataKey")
        grant_customer_topic_publishing(worker)
        grant_customer_function_calls(worker, "lambda:InvokeFunction")
        self.sending.grant_enqueue(worker)
        # The API (which already reads and writes every table) reads stored messages and checks,
        # as SES does when a rule is created, that the bucket, key, topic and function it names
        # exist and are usable.
        receiving.grant_message_reading(api)
        grant_customer_bucket_writes(api)
        grant_customer_key_use(api, "kms:DescribeKey")
        grant_customer_function_calls(api, "lambda:GetFunction")

    def _grant_tiers(self) -> None:
        data, keys = self.data, self.keys
        for tier, variable in (
            (self.submission, "SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN"),
            (self.mx, "SESAME_MX_TLS_ACM_CERTIFICATE_ARN"),
        ):
            if tier and variable in self._exported_certificates:
                # The tasks export the certificate (and its key) they serve, that one alone.
                iam.Grant.add_to_principal(
                    grantee=tier.tasks,
                    actions=["acm:ExportCertificate"],
                    resource_arns=[self._exported_certificates[variable]],
                )
        if self.submission:
            tasks = self.submission.tasks
            # Authenticates with SMTP credentials (access keys, accounts, decrypting their secrets),
            # then sends as the API does: identities, suppression, quota reservation, queue, events.
            data.grant_read(tasks, data.accounts, data.access_keys, data.identities, data.suppression)
            data.grant_read_write(tasks, data.quotas)
            keys.grant_secret_reading(tasks)
            self.sending.grant_enqueue(tasks)
            self.sending.grant_publish_events(tasks)
        if self.mx:
            tasks = self.mx.tasks
            # Matches recipients against the active rule set and IP filters, stores the message
            # (with a data key of the main key) and queues its receipt task.
            data.grant_read(tasks, data.receipt_rules, data.identities)
            keys.main.grant(tasks, "kms:Encrypt", "kms:GenerateDataKey")
            self.receiving.grant_store(tasks)
            # The feedback loop: reports for sent mail are matched to the stored message
            # (deliveries), then reported as delivery outcomes are: events, identity topics,
            # suppression (read for the account's reasons), statistics, forwarded reports.
            data.grant_read(tasks, data.accounts, data.deliveries)
            data.grant_read_write(tasks, data.suppression, data.statistics)
            self.sending.grant_enqueue(tasks)
            self.sending.grant_publish_events(tasks)
            grant_customer_topic_publishing(tasks)

    def _dashboard(self) -> Dashboard:
        load_balancers = {"Egress relays": self.egress.load_balancer}
        if self.submission:
            load_balancers["Submission"] = self.submission.load_balancer
        if self.mx:
            load_balancers["Inbound MX"] = self.mx.load_balancer
        return Dashboard(
            self,
            "Dashboard",
            queues={
                "Delivery queue": self.sending.queue,
                "Delivery dead letters": self.sending.dead_letters,
                "Receipt queue": self.receiving.queue,
                "Receipt dead letters": self.receiving.dead_letters,
                "Event stream queue": self.event_stream.queue,
                "Event stream dead letters": self.event_stream.dead_letters,
            },
            functions={
                "API": self.api.function,
                "Delivery worker": self.sending.function,
                "Receipt worker": self.receiving.function,
                "Identity checker": self.verification.function,
                "Event stream consumer": self.event_stream.function,
            },
            load_balancers=load_balancers,
            smtp_tiers=self._smtp_tiers(),
            metrics_namespace=METRICS_NAMESPACE,
            publish_expired=self.receiving.publish_expired_metric,
        )

    def _smtp_tiers(self) -> list[str]:
        """The names every SMTP service's tasks publish their open connections under."""
        services = list(self.egress.services.values())
        services += [tier.service for tier in (self.submission, self.mx) if tier]
        return [service.tier for service in services]
