"""The mailbox simulator: addresses at simulator.amazonses.com that answer with a scenario.

SES documents five local parts (success, bounce, ooto, complaint, suppressionlist). The match
is case-insensitive, and a ``+label`` after the local part still selects the scenario
(``success+signup-test@simulator.amazonses.com``), so one scenario can be told apart in events.
"""

from __future__ import annotations

from enum import StrEnum

SIMULATOR_DOMAIN = "simulator.amazonses.com"


class SimulatorScenario(StrEnum):
    SUCCESS = "success"  # delivered
    BOUNCE = "bounce"  # hard bounce: 550 5.1.1 user unknown
    OOTO = "ooto"  # delivered, then an out-of-the-office auto-reply
    COMPLAINT = "complaint"  # delivered, then a complaint (feedback report)
    SUPPRESSION_LIST = "suppressionlist"  # bounces as if on the global suppression list


_BY_LOCAL_PART = {scenario.value: scenario for scenario in SimulatorScenario}


def simulator_scenario(address: str) -> SimulatorScenario | None:
    """The scenario ``address`` selects, or None for any other address.

    ``address`` may be a bare address or ``Name <address>``."""
    spec = address.strip()
    if spec.endswith(">") and "<" in spec:
        spec = spec[spec.rindex("<") + 1 : -1].strip()
    local, at, domain = spec.rpartition("@")
    if not at or domain.lower() != SIMULATOR_DOMAIN:
        return None
    base = local.split("+", 1)[0].lower()
    return _BY_LOCAL_PART.get(base)


def is_simulator_address(address: str) -> bool:
    return simulator_scenario(address) is not None
