import assert from "node:assert/strict";
import {
  formatEndpoint,
  formatObjectRef,
  parseEndpoint,
  parseObjectRef,
  splitEndpointList,
} from "./endpoint.ts";

Deno.test("endpoint strings", async (t) => {
  await t.step("parse and print tcp, udp and ssl with the default timeout", () => {
    assert.deepEqual(parseEndpoint("tcp -h 10.0.0.1 -p 10000 -t 60000"), {
      transport: "tcp",
      host: "10.0.0.1",
      port: 10000,
      timeout: 60000,
      extra: [],
    });
    assert.equal(parseEndpoint("udp -h h -p 1").timeout, 3000);
    assert.equal(formatEndpoint(parseEndpoint("SSL  -p 443 -h a.b")), "ssl -h a.b -p 443 -t 3000");
  });

  await t.step("extra flags are kept in order, with or without values", () => {
    const ep = parseEndpoint("tcp -h h -p 1 -t 5 -g 3 -e -w 10 -v 2");
    assert.deepEqual(ep.extra, [["-g", "3"], ["-e", undefined], ["-w", "10"], ["-v", "2"]]);
    assert.equal(formatEndpoint(ep), "tcp -h h -p 1 -t 5 -g 3 -e -w 10 -v 2");
  });

  await t.step("bad strings give errors that quote them", () => {
    const cases: [string, RegExp][] = [
      ["", /^Bad endpoint "": it must start with tcp, udp or ssl$/],
      ["http -h h -p 1", /it must start with tcp/],
      ["tcp -p 1", /-h HOST is missing/],
      ["tcp -h h", /-p PORT is missing/],
      ["tcp -h h -p many", /^Bad endpoint "tcp -h h -p many": -p needs a number$/],
      ["tcp -h h -p 70000", /-p 70000 is above 65535/],
      ["tcp -h h -p 1 stray", /unexpected word "stray"/],
      ["tcp -h -p 1", /-h needs a host/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseEndpoint(text), (e: Error) => {
        assert.ok(e instanceof SyntaxError);
        assert.match(e.message, message);
        return true;
      });
    }
  });
});

Deno.test("object strings", async (t) => {
  await t.step("a name with several endpoints round-trips", () => {
    const text = "App.Server.Obj@tcp -h a -p 1 -t 3000:udp -h b -p 2 -t 3000";
    const ref = parseObjectRef(text);
    assert.equal(ref.name, "App.Server.Obj");
    assert.deepEqual(ref.endpoints.map((e) => e.host), ["a", "b"]);
    assert.equal(formatObjectRef(ref), text);
  });

  await t.step("a bare name has no endpoints", () => {
    assert.deepEqual(parseObjectRef("App.Server.Obj"), { name: "App.Server.Obj", endpoints: [] });
  });

  await t.step("hosts with colons (IPv6) do not split the list", () => {
    assert.deepEqual(splitEndpointList("tcp -h ::1 -p 1:tcp -h fe80::2 -p 2"), [
      "tcp -h ::1 -p 1",
      "tcp -h fe80::2 -p 2",
    ]);
  });

  await t.step("bad object strings quote the whole string", () => {
    assert.throws(() => parseObjectRef("@tcp -h a -p 1"), /^SyntaxError: Bad object string "@tcp/);
    assert.throws(() => parseObjectRef("A.B.C@"), /no endpoint after "@"/);
    assert.throws(
      () => parseObjectRef("A.B.C@tcp -h a"),
      /^SyntaxError: Bad object string "A.B.C@tcp -h a": Bad endpoint "tcp -h a": -p PORT/,
    );
  });
});
