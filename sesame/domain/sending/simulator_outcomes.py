"""What the mailbox simulator answers, without any network delivery.

success@ is delivered; bounce@ bounces hard (550 5.1.1); ooto@ is delivered and answers the
sender with an out-of-the-office reply; complaint@ is delivered and then complained about;
suppressionlist@ bounces as an address on the suppression list does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sesame.domain.sending.model import BounceSubType, BounceType, RecipientResult, ResultKind
from sesame.domain.sending.simulator import SimulatorScenario, simulator_scenario

SIMULATOR_MTA = "simulator.amazonses.com"


@dataclass(frozen=True)
class SimulatedOutcome:
    result: RecipientResult
    complaint: bool = False
    auto_reply: bool = False


def simulated_outcome(recipient: str, *, reporting_mta: str) -> SimulatedOutcome | None:
    scenario = simulator_scenario(recipient)
    if scenario is None:
        return None
    if scenario in (SimulatorScenario.SUCCESS, SimulatorScenario.OOTO, SimulatorScenario.COMPLAINT):
        delivered = RecipientResult(
            recipient=recipient,
            kind=ResultKind.DELIVERED,
            smtp_response="250 2.6.0 Message received",
            status="2.6.0",
            remote_mta=SIMULATOR_MTA,
            reporting_mta=reporting_mta,
        )
        return SimulatedOutcome(
            delivered,
            complaint=scenario is SimulatorScenario.COMPLAINT,
            auto_reply=scenario is SimulatorScenario.OOTO,
        )
    if scenario is SimulatorScenario.BOUNCE:
        return SimulatedOutcome(
            RecipientResult(
                recipient=recipient,
                kind=ResultKind.BOUNCED,
                smtp_response="550 5.1.1 user unknown",
                status="5.1.1",
                remote_mta=SIMULATOR_MTA,
                reporting_mta=reporting_mta,
                bounce_type=BounceType.PERMANENT,
                bounce_subtype=BounceSubType.GENERAL,
            )
        )
    return SimulatedOutcome(
        RecipientResult(
            recipient=recipient,
            kind=ResultKind.BOUNCED,
            smtp_response="550 5.1.1 Recipient address is suppressed",
            status="5.1.1",
            remote_mta=SIMULATOR_MTA,
            reporting_mta=reporting_mta,
            bounce_type=BounceType.PERMANENT,
            bounce_subtype=BounceSubType.SUPPRESSED,
        )
    )
