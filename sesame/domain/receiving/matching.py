"""Which recipients a receipt rule matches, and whether an IP address filter list blocks a client.

A rule's recipient condition is, as in SES, an address (``user@example.com``: that mailbox), a
domain (``example.com``: every address at that domain, not its subdomains) or a domain with a
leading dot (``.example.com``: every address at any subdomain, not the domain itself). A rule
without recipients matches every recipient of the account (whose domains the MX has already
checked are verified). Comparison ignores case.

IP filters: an address is blocked when a Block filter of the account, or the built-in block list,
covers it, unless an Allow filter of the account covers it: an allow always wins, so an account
can block a range and still allow single addresses in it, and can let through an address the
built-in list blocks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from sesame.domain.receiving.rule_model import FilterPolicy, IpFilter, ReceiptRule

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def recipient_matches(condition: str, address: str) -> bool:
    condition, address = condition.strip().lower(), address.strip().lower()
    if "@" in condition:
        return condition == address
    domain = address.rpartition("@")[2]
    if condition.startswith("."):
        return domain.endswith(condition) and len(domain) > len(condition)
    return domain == condition


def rule_recipients(rule: ReceiptRule, recipients: Iterable[str]) -> tuple[str, ...]:
    """The recipients (in their order) that ``rule`` applies to."""
    if not rule.recipients:
        return tuple(recipients)
    return tuple(r for r in recipients if any(recipient_matches(c, r) for c in rule.recipients))


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def client_address(ip: str) -> Address | None:
    """The client's address, IPv4-mapped IPv6 addresses as their IPv4 address; None if unreadable."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _covers(networks: Iterable[Network], address: Address) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def ip_blocked(ip: str, filters: Sequence[IpFilter], built_in: Sequence[Network]) -> bool:
    address = client_address(ip)
    if address is None:
        return True
    allowed = [f.network for f in filters if f.policy is FilterPolicy.ALLOW]
    if _covers(allowed, address):
        return False
    blocked = [f.network for f in filters if f.policy is FilterPolicy.BLOCK]
    return _covers(blocked, address) or _covers(built_in, address)
