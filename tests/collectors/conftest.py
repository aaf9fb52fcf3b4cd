"""Collector test fixtures: a Mosquitto of the test's own whose persistence survives a restart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from apps.processes.broker import LocalBroker
from tests.collectors.brokerkit import durable_broker


@pytest.fixture
def durable_mosquitto() -> Iterator[LocalBroker]:
    """This test's own Mosquitto (closed, admin login in its URL) with working persistence; killed after."""
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    broker = durable_broker()
    yield broker
    broker.stop(kill=True)
    shutil.rmtree(broker.workdir, ignore_errors=True)
