"""``python -m jamana.payments.simulator --port 8765``: run the simulator until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence

from jamana.payments.simulator.behaviour import SimulatorBehaviour
from jamana.payments.simulator.server import run_simulator


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jamana.payments.simulator",
        description="Simulated Orange Money, Moov Money and PI-SPI on loopback.",
    )
    p.add_argument("--host", default="127.0.0.1", help="a loopback address (default %(default)s)")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--confirm-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="payers confirm by themselves after this delay (default: only on the phone page)",
    )
    p.add_argument("--failure-rate", type=float, default=0.0)
    p.add_argument("--callback-delay", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--duplicate-callbacks", type=int, default=0, metavar="N")
    p.add_argument("--out-of-order-callbacks", action="store_true")
    p.add_argument("--lost-callback-rate", type=float, default=0.0)
    p.add_argument("--callback-before-status", action="store_true")
    p.add_argument("--intent-ttl", type=float, default=900.0, metavar="SECONDS")
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--fee-basis-points", type=int, default=100)
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    behaviour = SimulatorBehaviour(
        seed=args.seed,
        confirm_after_seconds=args.confirm_after,
        failure_rate=args.failure_rate,
        callback_delay_seconds=args.callback_delay,
        duplicate_callbacks=args.duplicate_callbacks,
        out_of_order_callbacks=args.out_of_order_callbacks,
        lost_callback_rate=args.lost_callback_rate,
        callback_before_status=args.callback_before_status,
        intent_ttl_seconds=args.intent_ttl,
        error_rate=args.error_rate,
        fee_basis_points=args.fee_basis_points,
    )
    sim = run_simulator(args.host, args.port, behaviour=behaviour)
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    print(f"Payment simulator on {sim.url} (the payer's phone: {sim.url}/_sim/)", flush=True)
    try:
        done.wait()
    finally:
        sim.stop()
        print("Payment simulator stopped.", flush=True)


if __name__ == "__main__":
    main()
