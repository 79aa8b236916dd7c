"""A local payment provider simulator: speaks the Orange Money, Moov Money and PI-SPI protocols
of :mod:`jamana.payments.providers` over HTTP on loopback, with payers who confirm on a
simulated phone and callbacks that can be late, duplicated, out of order or lost.

``run_simulator(behaviour=SimulatorBehaviour())`` starts it in background threads (tests);
``python -m jamana.payments.simulator --port 8765`` runs it in the foreground (``make run``).
Routes: ``/orange/…``, ``/moov/…``, ``/pispi/…``, and the controls under ``/_sim/`` (the
payer's phone page, ``POST /_sim/confirm/<reference>``, ``POST /_sim/fail-next``,
``GET /_sim/intents``, ``GET /_sim/deliveries``). See ``docs/payments/providers.md``.
"""

from jamana.payments.simulator.bank import SimError
from jamana.payments.simulator.behaviour import Outcome, SimulatorBehaviour, SimulatorCredentials
from jamana.payments.simulator.delivery import Delivery
from jamana.payments.simulator.server import (
    RunningSimulator,
    moov_config,
    orange_config,
    pispi_config,
    run_simulator,
)

__all__ = [
    "Delivery",
    "Outcome",
    "RunningSimulator",
    "SimError",
    "SimulatorBehaviour",
    "SimulatorCredentials",
    "moov_config",
    "orange_config",
    "pispi_config",
    "run_simulator",
]
