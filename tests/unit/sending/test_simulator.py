"""Mailbox simulator addresses."""

from __future__ import annotations

import pytest

from sesame.domain.sending.simulator import SimulatorScenario, is_simulator_address, simulator_scenario


@pytest.mark.parametrize(
    ("address", "scenario"),
    [
        ("success@simulator.amazonses.com", SimulatorScenario.SUCCESS),
        ("bounce@simulator.amazonses.com", SimulatorScenario.BOUNCE),
        ("ooto@simulator.amazonses.com", SimulatorScenario.OOTO),
        ("complaint@simulator.amazonses.com", SimulatorScenario.COMPLAINT),
        ("suppressionlist@simulator.amazonses.com", SimulatorScenario.SUPPRESSION_LIST),
        ("SUCCESS@Simulator.AmazonSES.com", SimulatorScenario.SUCCESS),
        ("bounce+signup-test@simulator.amazonses.com", SimulatorScenario.BOUNCE),
        ("Complaint+a+b@simulator.amazonses.com", SimulatorScenario.COMPLAINT),
        ("Tester <ooto+label@simulator.amazonses.com>", SimulatorScenario.OOTO),
    ],
)
def test_simulator_addresses_select_their_scenario(address, scenario):
    assert simulator_scenario(address) is scenario
    assert is_simulator_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "success@example.com",
        "someone@simulator.amazonses.com",
        "success@sub.simulator.amazonses.com",
        "successful@simulator.amazonses.com",
        "not an address",
        "",
    ],
)
def test_other_addresses_are_not_simulated(address):
    assert simulator_scenario(address) is None
    assert not is_simulator_address(address)
