/**
 * Several listeners at once: the broker binds every listener of `listeners`, controller listeners
 * included, each with its security protocol, and exposes the bound ports by name (`portOf`). Metadata
 * answers with the address advertised for the listener the client connected on (Kafka's rule). The
 * broker runs in process over memory storage, so each test reads `portOf` directly; kcat checks one
 * listener from outside.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { Broker } from "../src/broker.ts";
import { parseCli } from "../src/config/cli.ts";
import { RawClient } from "./raw-client.ts";

const enc = new TextEncoder();
const quiet = (): void => {};

function configOf(overrides: string[]) {
  // The admin HTTP listener stays off: its default port is shared by every broker on the machine.
  const flags = ["--storage", "memory", "--admin-port", "0"];
  return parseCli([...flags, ...overrides.flatMap((o) => ["--override", o])], {}).config;
}

/** kcat in its own process without blocking this one, which runs the broker. */
async function kcatAsync(args: string[]): Promise<string> {
  const child = Bun.spawn(["kcat", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill(), 20_000);
  const out = await new Response(child.stdout).text();
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0)
    throw new Error(`kcat ${args.join(" ")} exited ${code}: ${await new Response(child.stderr).text()}`);
  return out;
}

const metadataBody = {
  topics: [],
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
};

/** The brokers a Metadata v8 answer lists on a connection to `port`, as host:port. */
async function brokersSeenOn(port: number, client?: RawClient): Promise<string[]> {
  const own = client ?? (await RawClient.connect(port));
  const answer = await own.request(ApiKey.Metadata, 8, metadataBody);
  if (client === undefined) own.close();
  return answer.brokers.map((b) => `${b.host}:${b.port}`);
}

describe("a PLAINTEXT, a SASL_PLAINTEXT and a CONTROLLER listener on one broker", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await Broker.start(
      configOf([
        "listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
        "controller.listener.names=CONTROLLER",
        "sasl.enabled.mechanisms=PLAIN",
        'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
      ]),
      quiet,
    );
  });
  afterAll(async () => {
    await broker.stop();
  });

  test("every listener is bound on its own port, named as in listeners", () => {
    const ports = ["PLAINTEXT", "SASL_PLAINTEXT", "CONTROLLER"].map((name) => broker.portOf(name));
    for (const port of ports) expect(port).toBeGreaterThan(0);
    expect(new Set(ports).size).toBe(3);
    expect(broker.port).toBe(broker.portOf("PLAINTEXT"));
    expect(broker.portOf("controller")).toBe(broker.portOf("CONTROLLER"));
    expect(() => broker.portOf("SSL")).toThrow("no bound listener named SSL");
  });

  test("Metadata names the address of the listener the client came in on", async () => {
    for (const name of ["PLAINTEXT", "CONTROLLER"]) {
      const port = broker.portOf(name);
      expect(await brokersSeenOn(port)).toEqual([`127.0.0.1:${port}`]);
    }
    // kcat, unmodified, is sent back to the controller listener it bootstrapped from.
    const controllerPort = broker.portOf("CONTROLLER");
    expect(await kcatAsync(["-L", "-b", `127.0.0.1:${controllerPort}`])).toContain(
      `at 127.0.0.1:${controllerPort}`,
    );
  }, 30_000);

  test("the SASL listener keeps its gate while the PLAINTEXT one serves at once", async () => {
    const saslPort = broker.portOf("SASL_PLAINTEXT");
    const refused = await RawClient.connect(saslPort);
    refused.send(ApiKey.Metadata, 8, metadataBody);
    expect(await refused.nextFrame()).toBeNull();

    const client = await RawClient.connect(saslPort);
    expect((await client.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode).toBe(
      ErrorCode.NONE,
    );
    const token = enc.encode("\0alice\0alice-secret");
    expect((await client.request(ApiKey.SaslAuthenticate, 2, { authBytes: token })).errorCode).toBe(
      ErrorCode.NONE,
    );
    expect(await brokersSeenOn(saslPort, client)).toEqual([`127.0.0.1:${saslPort}`]);
    client.close();
    expect(await brokersSeenOn(broker.portOf("PLAINTEXT"))).toEqual([
      `127.0.0.1:${broker.portOf("PLAINTEXT")}`,
    ]);
  });
});

describe("advertised.listeners", () => {
  test("each listener advertises its own entry; one left out advertises its bound address", async () => {
    const broker = await Broker.start(
      configOf([
        "listeners=INTERNAL://127.0.0.1:0,EXTERNAL://0.0.0.0:0,REPLICATION://127.0.0.1:0",
        "listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,REPLICATION:PLAINTEXT",
        "advertised.listeners=INTERNAL://internal.example:19092,EXTERNAL://external.example:29092",
      ]),
      quiet,
    );
    try {
      expect(await brokersSeenOn(broker.portOf("INTERNAL"))).toEqual(["internal.example:19092"]);
      expect(await brokersSeenOn(broker.portOf("EXTERNAL"))).toEqual(["external.example:29092"]);
      const replication = broker.portOf("REPLICATION");
      expect(await brokersSeenOn(replication)).toEqual([`127.0.0.1:${replication}`]);
    } finally {
      await broker.stop();
    }
  });

  test("a port taken by another process fails the start and leaves no listener bound", async () => {
    const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const free = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const freePort = free.port;
    free.stop(true);
    try {
      await expect(
        Broker.start(
          configOf([
            `listeners=PLAINTEXT://127.0.0.1:${freePort},CONTROLLER://127.0.0.1:${squatter.port}`,
            "controller.listener.names=CONTROLLER",
          ]),
          quiet,
        ),
      ).rejects.toThrow();
      // The first listener was bound before the second failed; its port must be free again.
      const again = Bun.listen({ hostname: "127.0.0.1", port: freePort, socket: { data() {} } });
      again.stop(true);
    } finally {
      squatter.stop(true);
    }
  });
});
