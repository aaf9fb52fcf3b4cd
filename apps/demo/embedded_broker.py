"""The embedded MQTT 3.1.1 broker (amqtt) used by `diagnose demo` on a machine without Mosquitto.

Closed like Mosquitto: `apps.demo.embedded_dynsec.DynsecPlugin` reads the same dynamic-security JSON
(`diagnose.services.shopfloor.broker_accounts`): no anonymous clients, accounts bound to client ids, own topics only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

MISSING = (
    "the embedded MQTT broker needs the optional 'demo' extra (amqtt): pip install 'diagnose[demo]' "
    "(make demo does), or install Mosquitto (apt-get install mosquitto) or point DIAGNOSE_MQTT_URL at a broker"
)


def available() -> bool:
    """True if amqtt (the `demo` extra) is installed."""
    import importlib.util

    return importlib.util.find_spec("amqtt") is not None


def broker_config(port: int, accounts_file: Path) -> dict[str, object]:
    """amqtt configuration: one loopback TCP listener, our accounts, no $SYS chatter."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}", "max_connections": 1000}},
        "plugins": {"apps.demo.embedded_dynsec.DynsecPlugin": {"accounts_file": str(accounts_file)}},
    }


async def serve(port: int, accounts_file: Path) -> None:
    """Run until SIGTERM or SIGINT."""
    try:
        from amqtt.broker import Broker  # imported here: amqtt is an optional extra, for the demo only
    except ImportError as exc:
        raise SystemExit(MISSING) from exc
    broker = Broker(broker_config(port, accounts_file))
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await broker.shutdown()


def main() -> None:
    """Entry point: python -m apps.demo.embedded_broker --port 1883 --accounts dynamic-security.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--accounts", type=Path, required=True, help="dynamic-security JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(args.port, args.accounts))


if __name__ == "__main__":
    main()
