import assert from "node:assert/strict";
import { nodeAddress, replicaNodeName } from "./node_name.ts";

Deno.test("a replica's node name is host:port, and the address comes back from it", () => {
  assert.equal(replicaNodeName("10.0.0.5", 17890), "10.0.0.5:17890");
  assert.equal(replicaNodeName("fd00::5", 17891), "[fd00::5]:17891");
  assert.equal(replicaNodeName("registry-0.example", 17890), "registry-0.example:17890");
  for (const [host, port] of [["10.0.0.5", 17890], ["fd00::5", 1], ["::1", 65535]] as const) {
    assert.equal(nodeAddress(replicaNodeName(host, port)), host);
  }
});

Deno.test("a pod's node name is its address", () => {
  for (const name of ["10.0.0.5", "fd00::1:2", "::1", "fe80::1", "pod-host"]) {
    assert.equal(nodeAddress(name), name);
  }
});
