// An edge node written as a plant's engineer writes one with Eclipse Tahu's Node client (npm
// `sparkplug-client`): births with aliases, DDATA by alias, a rebirth on the host's NCMD. Driven by the
// broker tests (tests/collectors/test_sparkplug_edges_broker.py); prints one JSON line per message sent.
//
//   node tahu_edge.js '{"serverUrl": ..., "username": ..., "password": ..., "clientId": ..., "groupId": ...,
//                       "edgeNode": ..., "device": ..., "t0": <epoch ms>, "before": N, "after": N}'
//
// It sends `before` DDATA (the seq wraps 255 → 0 on the way), one DDATA with an alias no birth defined,
// keeps sending until the host's Rebirth NCMD arrives, births again, then sends `after` more DDATA, a
// DDEATH, and stops (NDEATH).
"use strict";
const sparkplug = require("sparkplug-client");

const config = JSON.parse(process.argv[2]);
const client = sparkplug.newClient({
  serverUrl: config.serverUrl,
  username: config.username,
  password: config.password,
  clientId: config.clientId,
  groupId: config.groupId,
  edgeNode: config.edgeNode,
  publishDeath: true,
  version: "spBv1.0",
});
let tick = 0; // every message gets a timestamp of its own, one second apart
let phase = "before";
let sentAfter = 0;
let sentBefore = 0;
let born = false;

function log(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

function births() {
  const ts = config.t0 + 1000 * tick++;
  client.publishNodeBirth({
    timestamp: ts,
    metrics: [{ name: "Node Control/Rebirth", type: "boolean", value: false }],
  });
  log({ sent: "NBIRTH", seq: 0, ts });
  const dts = config.t0 + 1000 * tick++;
  const payload = {
    timestamp: dts,
    metrics: [
      { name: "state", alias: 1, type: "int32", value: 1, timestamp: dts },
      { name: "count_total", alias: 2, type: "uint64", value: 0, timestamp: dts },
      { name: "power_kw", alias: 3, type: "double", value: 1.5, timestamp: dts },
      { name: "recipe", alias: 4, type: "string", value: "A", timestamp: dts },
    ],
  };
  client.publishDeviceBirth(config.device, payload);
  log({ sent: "DBIRTH", seq: payload.seq, ts: dts });
}

function ddata(alias) {
  const ts = config.t0 + 1000 * tick++;
  const metrics = [
    { alias: 2, type: "uint64", value: tick, timestamp: ts },
    { alias: 1, type: "int32", value: 0, timestamp: ts },
  ];
  if (tick % 10 === 0) metrics.push({ alias: 4, type: "string", value: "recipe-" + tick, timestamp: ts });
  if (alias !== undefined) metrics.push({ alias, type: "double", value: 1.0, timestamp: ts });
  const payload = { timestamp: ts, metrics };
  client.publishDeviceData(config.device, payload);
  log({ sent: "DDATA", seq: payload.seq, ts, phase: alias === undefined ? phase : "bad" });
}

function step() {
  if (phase === "before") {
    ddata();
    sentBefore += 1;
    if (sentBefore === config.before) {
      ddata(99); // an alias no birth defined: the host asks for a rebirth
      phase = "between";
    }
  } else if (phase === "between") {
    ddata(); // what a real edge sends until the host's NCMD arrives
  } else if (sentAfter < config.after) {
    ddata();
    sentAfter += 1;
  } else {
    const ts = config.t0 + 1000 * tick++;
    const death = { timestamp: ts };
    client.publishDeviceDeath(config.device, death);
    log({ sent: "DDEATH", seq: death.seq, ts });
    client.stop(); // publishDeath: NDEATH with the bdSeq of the birth
    log({ sent: "NDEATH" });
    setTimeout(() => process.exit(0), 500);
    return;
  }
  setTimeout(step, 2);
}

client.on("birth", () => {
  births();
  if (!born) {
    born = true;
    setTimeout(step, 50);
  }
});
client.on("ncmd", (payload) => {
  const rebirth = (payload.metrics || []).some((m) => m.name === "Node Control/Rebirth" && m.value === true);
  log({ ncmd: payload.metrics.map((m) => m.name), rebirth });
  if (rebirth) {
    births();
    phase = "after";
  }
});
client.on("error", (error) => {
  log({ error: String(error) });
  process.exit(2);
});
setTimeout(() => {
  log({ error: "timed out" });
  process.exit(3);
}, 120000);
