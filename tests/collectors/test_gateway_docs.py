"""docs/gateways.md stays true: each code snippet marked `<!-- snippet: PATH -->` is, line for line, in the
file a broker test runs, and the Node-RED flow it points to is the file test_nodered_broker.py loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "gateways.md"
SNIPPET = re.compile(r"<!-- snippet: (?P<path>\S+) -->\n```\w*\n(?P<code>.*?)```", re.S)


def test_each_snippet_is_in_the_file_the_tests_run() -> None:
    found = list(SNIPPET.finditer(DOC.read_text()))
    assert len(found) == 2, "the Tahu and pysparkplug snippets"
    for match in found:
        source = (ROOT / match["path"]).read_text()
        assert match["code"] in source, f"docs/gateways.md's snippet is not in {match['path']}"


def test_the_node_red_flow_is_the_one_the_test_loads() -> None:
    from tests.collectors import test_nodered_broker

    assert test_nodered_broker.DOCS_FLOW == ROOT / "docs" / "gateways" / "node-red-flow.json"
    assert "gateways/node-red-flow.json" in DOC.read_text()
    nodes, credentials = test_nodered_broker.docs_flow(
        uscc="91320412MA000001XY", device="M01", port=1883, client_id="gw.x", user="gw.x", password="p"
    )
    broker = next(node for node in nodes if node["type"] == "mqtt-broker")
    assert (broker["clientid"], broker["port"]) == ("gw.x", "1883")
    assert credentials == {broker["id"]: {"user": "gw.x", "password": "p"}}
    function = next(node for node in nodes if node["type"] == "function")
    assert "plant/91320412MA000001XY/M01/telemetry" in function["func"]
    assert json.loads(DOC.parent.joinpath("gateways", "node-red-flow.json").read_text())  # valid JSON
