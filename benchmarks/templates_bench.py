"""Templates: how fast a template renders, and how fast bulk sends go out with one.

Rendering is measured on a 5 KB HTML template with 20 variables and one ``{{#each}}`` over 10
items, parsed once (as the cache makes it) and rendered with new data each time. Bulk sending is
TemplatedSending (what SendBulkEmail calls after parsing) with 50 entries per call, each entry its
own rendered, checked, quota-counted, queued message, in one process against the AWS emulation.
The share of a bulk send's time that rendering takes shows whether rendering limits it.
"""

from __future__ import annotations

import json
import time

from benchmarks.harness import Figure, Options, median

ACCOUNT = "000000000001"
DOMAIN = "bench.test"
ENTRIES_PER_CALL = 50
BULK_CALLS = 8


def bench_template() -> tuple[str, str, str]:
    """Subject, text and a 5 KB HTML part: 20 variables and an each over a list."""
    fields = "".join(f"<tr><td>Field {i}</td><td>{{{{v{i}}}}}</td></tr>\n" for i in range(20))
    items = "<ul>{{#each items}}<li>{{@index}}. {{this.name}} at {{price}}</li>{{/each}}</ul>\n"
    filler = "<p>" + "Our spring collection is here, with something for everyone. " * 70 + "</p>\n"
    html = f"<html><body><h1>Hello {{{{v0}}}}</h1><table>{fields}</table>{items}{filler}</body></html>"
    return "Offers for {{v0}}", "Dear {{v0}}, see the offers for {{v1}}.", html


def bench_data(i: int) -> dict[str, object]:
    data: dict[str, object] = {f"v{n}": f"value {n} of <reader {i}>" for n in range(20)}
    data["items"] = [{"name": f"item {n}", "price": n * 1.5} for n in range(10)]
    return data


def _renders_per_second(duration: float) -> tuple[float, float, float]:
    from sesame.domain.template_rendering import TemplateContent, render

    subject, text, html = bench_template()
    html_only = TemplateContent(html=html)
    whole = TemplateContent(subject=subject, text=text, html=html)
    datas = [bench_data(i) for i in range(100)]
    started = time.perf_counter()
    render(html_only, datas[0])  # parse once
    parse_ms = (time.perf_counter() - started) * 1000

    def rate(content: TemplateContent) -> float:
        count = 0
        started = time.perf_counter()
        while time.perf_counter() - started < duration:
            for data in datas:
                render(content, data)
            count += len(datas)
        return count / (time.perf_counter() - started)

    return rate(html_only), rate(whole), parse_ms


def run(options: Options) -> list[Figure]:
    from moto import mock_aws

    from sesame.adapters.aws import AwsClients
    from sesame.domain.sending.model import ApiSource
    from sesame.domain.sending.service import Sender, SendRequest
    from sesame.domain.template_rendering import TemplateContent
    from sesame.domain.templated_sending import Destination, TemplateChoice, TemplatedSend, status_of
    from sesame.local.emulation_atomicity import serialize_dynamodb_requests
    from sesame.local.provision import provision
    from sesame.services import build_services
    from sesame.settings import Settings
    from tests.support.dns_server import DnsTestServer

    html_rate, whole_rate, parse_ms = _renders_per_second(options.duration)
    html_size = len(bench_template()[2].encode())

    serialize_dynamodb_requests()
    with mock_aws(), DnsTestServer() as dns:
        base = Settings(dns_server=dns.address, dkim_signing_zone=None, mail_host_name="bench.local")
        aws = AwsClients(base)
        settings = provision(aws, base)
        services = build_services(settings, aws)
        services.accounts.create_account(ACCOUNT, production=True)
        services.accounts.set_quotas(ACCOUNT, max_send_rate=1e6, max_24_hour_send=1e8)
        token = services.identities.verify_domain(ACCOUNT, DOMAIN)
        dns.set(f"_amazonses.{DOMAIN}", "TXT", token)
        assert services.identities.check_now(ACCOUNT, DOMAIN).verified_for_sending
        subject, text, html = bench_template()
        services.templates.create(ACCOUNT, "offers", TemplateContent(subject=subject, text=text, html=html))
        sender = Sender(
            account_id=ACCOUNT, caller_identity="bench", source_ip="127.0.0.1", api=ApiSource.API_V2
        )

        def bulk(call: int) -> float:
            destinations = [
                Destination(
                    to=(f"reader{call}-{i}@inbox.test",), template_data=json.dumps(bench_data(call * 100 + i))
                )
                for i in range(ENTRIES_PER_CALL)
            ]
            started = time.perf_counter()
            outcomes = services.templated_sending.send(
                TemplatedSend(
                    request=SendRequest(sender=sender, from_address=f"offers@{DOMAIN}"),
                    template=TemplateChoice(name="offers"),
                    destinations=destinations,
                )
            )
            elapsed = time.perf_counter() - started
            assert all(status_of(o).value == "Success" for o in outcomes), outcomes
            return elapsed

        bulk(-1)  # warm: clients, template cache
        seconds = [bulk(call) for call in range(BULK_CALLS)]

    per_call = median(seconds)
    destinations_per_second = ENTRIES_PER_CALL / per_call
    render_share = destinations_per_second / whole_rate
    del options
    return [
        Figure(
            "templates: renders, HTML part",
            html_rate,
            "renders/s",
            f"{html_size / 1024:.1f} KB, 20 variables, each over 10 items, one thread",
        ),
        Figure(
            "templates: renders, subject+text+HTML", whole_rate, "renders/s", "what one destination costs"
        ),
        Figure("templates: first parse of the 5 KB template", parse_ms, "ms", "then cached by its text"),
        Figure(
            "templates: bulk send",
            destinations_per_second,
            "dest/s",
            f"TemplatedSending, {ENTRIES_PER_CALL} entries a call, in-process against moto",
        ),
        Figure("templates: bulk send call of 50", per_call * 1000, "ms", f"median of {BULK_CALLS}"),
        Figure("templates: rendering share of bulk send", render_share * 100, "%", "render time / send time"),
    ]
