/**
 * The transport between nodes (`src/net/peer-client.ts`) against a small Kafka peer that answers real
 * ApiVersions and Fetch frames (`peer-test-server.ts`): correlation of pipelined requests answered out
 * of order, the per-request timeout, a peer going down and coming back, the bounded queue, the fault
 * hook (cut, drop, delay), and a down peer leaving requests to another peer undelayed.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ApiKey } from "@eddy/protocol";
import {
  type PeerAddress,
  PeerClient,
  type PeerClientOptions,
  PeerRequestError,
} from "../src/net/peer-client.ts";
import { PeerFaults } from "../src/net/peer-faults.ts";
import { PeerPool } from "../src/net/peer-pool.ts";
import { startTestPeer, type TestPeer } from "./peer-test-server.ts";

const options: PeerClientOptions = {
  clientId: "eddy-node-1",
  requestTimeoutMs: 5_000,
  connectTimeoutMs: 2_000,
  reconnectBackoffMs: 50,
  reconnectBackoffMsMax: 400,
  queuedRequestsMax: 100,
  requestBytesMax: 1024 * 1024,
  responseBytesMax: 1024 * 1024,
};

const fetchV11 = (maxWaitMs: number) => ({
  replicaId: 2,
  maxWaitMs,
  minBytes: 1,
  maxBytes: 1024 * 1024,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [],
  forgottenTopicsData: [],
  rackId: "",
});

const apiVersions = (tag: number) => ({ clientSoftwareName: "eddy", clientSoftwareVersion: String(tag) });

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function peerAt(server: TestPeer, nodeId = 2): PeerAddress {
  return { nodeId, host: "127.0.0.1", port: server.port };
}

function client(address: PeerAddress, extra: Partial<PeerClientOptions> = {}): PeerClient {
  const c = new PeerClient(address, { ...options, ...extra });
  cleanups.push(() => c.close());
  return c;
}

function server(): TestPeer {
  const s = startTestPeer();
  cleanups.push(() => s.stop());
  return s;
}

/** Resolves with the error a promise rejects with, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<PeerRequestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PeerRequestError);
    return error as PeerRequestError;
  }
  throw new Error("expected a rejection");
}

/** A port nothing listens on: one the OS handed out and took back. */
function closedPort(): number {
  const s = startTestPeer();
  const port = s.port;
  s.stop();
  return port;
}

describe("peer client", () => {
  test("pipelined requests on one connection are matched by correlation id, even answered out of order", async () => {
    const peer = server();
    const c = client(peerAt(peer));
    const fetches = Array.from({ length: 40 }, (_, i) => c.request(ApiKey.Fetch, 11, fetchV11((40 - i) * 3)));
    const versions = Array.from({ length: 10 }, (_, i) =>
      c.request(ApiKey.ApiVersions, 3, apiVersions(i + 1)),
    );
    const fetched = await Promise.all(fetches);
    fetched.forEach((response, i) => {
      expect(response.throttleTimeMs).toBe((40 - i) * 3);
    });
    const answered = await Promise.all(versions);
    answered.forEach((response, i) => {
      expect(response.throttleTimeMs).toBe(i + 1);
    });
    expect(answered[0]!.apiKeys[0]!.apiKey).toBe(ApiKey.Fetch);
    expect(peer.connectionsAccepted).toBe(1);
    expect(new Set(peer.received.map((r) => r.correlationId)).size).toBe(50);
    expect(c.pendingCount).toBe(0);
  });

  test("a request times out; its late response is dropped and the connection keeps serving", async () => {
    const peer = server();
    const c = client(peerAt(peer));
    const started = performance.now();
    const error = await rejection(c.request(ApiKey.Fetch, 11, fetchV11(400), 100));
    expect(error.reason).toBe("Timeout");
    expect(performance.now() - started).toBeLessThan(350);
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(7))).throttleTimeMs).toBe(7);
    await Bun.sleep(450);
    expect(c.lateResponses).toBe(1);
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(8))).throttleTimeMs).toBe(8);
    expect(peer.connectionsAccepted).toBe(1);
  });

  test("a peer that goes down fails requests at once during the backoff, and is reconnected when it is back", async () => {
    const peer = server();
    const c = client(peerAt(peer));
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(1))).throttleTimeMs).toBe(1);
    const inFlight = c.request(ApiKey.Fetch, 11, fetchV11(1_000));
    await Bun.sleep(20);
    peer.stop();
    expect((await rejection(inFlight)).reason).toBe("Disconnected");

    // Down: every attempt fails, the backoff doubles up to its bound, and requests inside it fail now.
    const delays: number[] = [];
    for (let round = 0; round < 5; round++) {
      await Bun.sleep(c.reconnectDelayMs + 5);
      const error = await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(2)));
      expect(["PeerDown", "Disconnected"]).toContain(error.reason);
      const started = performance.now();
      expect((await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(3)))).reason).toBe("PeerDown");
      expect(performance.now() - started).toBeLessThan(20);
      delays.push(c.reconnectDelayMs);
    }
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(options.reconnectBackoffMsMax);
    expect(delays[4]!).toBeGreaterThan(delays[0]!);

    peer.restart();
    await Bun.sleep(c.reconnectDelayMs + 5);
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(4))).throttleTimeMs).toBe(4);
    expect(c.state).toBe("connected");
    expect(peer.connectionsAccepted).toBe(2);
  });

  test("the queue is bounded: one request past queuedRequestsMax is refused at once", async () => {
    const peer = server();
    const c = client(peerAt(peer), { queuedRequestsMax: 5 });
    const held = Array.from({ length: 5 }, () => c.request(ApiKey.Fetch, 11, fetchV11(200)));
    const started = performance.now();
    const error = await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(1)));
    expect(error.reason).toBe("QueueFull");
    expect(performance.now() - started).toBeLessThan(20);
    expect(c.pendingCount).toBe(5);
    await Promise.all(held);
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(2))).throttleTimeMs).toBe(2);
  });

  test("the fault hook cuts the link, drops requests and delays them", async () => {
    const peer = server();
    const faults = new PeerFaults();
    const c = client(peerAt(peer), { faults });
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(1))).throttleTimeMs).toBe(1);

    const inFlight = c.request(ApiKey.Fetch, 11, fetchV11(500));
    faults.cut();
    expect((await rejection(inFlight)).reason).toBe("Disconnected");
    expect((await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(2)))).reason).toBe("PeerDown");
    await Bun.sleep(options.reconnectBackoffMsMax);
    expect((await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(3)))).reason).toBe("PeerDown");
    faults.heal();
    await Bun.sleep(c.reconnectDelayMs + 5);
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(4))).throttleTimeMs).toBe(4);

    const fetchesBefore = peer.received.filter((r) => r.apiKey === ApiKey.Fetch).length;
    faults.dropWhen = (request) => request.apiKey === ApiKey.Fetch;
    const dropped = c.request(ApiKey.Fetch, 11, fetchV11(0), 150);
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(5))).throttleTimeMs).toBe(5);
    expect((await rejection(dropped)).reason).toBe("Timeout");
    expect(peer.received.filter((r) => r.apiKey === ApiKey.Fetch)).toHaveLength(fetchesBefore);

    faults.clear();
    faults.delayMs = 150;
    const started = performance.now();
    expect((await c.request(ApiKey.ApiVersions, 3, apiVersions(6))).throttleTimeMs).toBe(6);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(() => {
      faults.delayMs = -1;
    }).toThrow(RangeError);
  });

  test("a down or silent peer does not delay requests to another peer", async () => {
    const healthy = server();
    const silent = server();
    silent.silent = true;
    const pool = new PeerPool(options);
    cleanups.push(() => pool.close());
    pool.setPeers([
      { nodeId: 2, host: "127.0.0.1", port: healthy.port },
      { nodeId: 3, host: "127.0.0.1", port: silent.port },
      { nodeId: 4, host: "127.0.0.1", port: closedPort() },
    ]);
    // Each rejection is awaited from the start, so none is left unhandled while the healthy peer answers.
    const stuck = Array.from({ length: 50 }, () =>
      rejection(pool.request(3, ApiKey.Fetch, 11, fetchV11(0), 2_000)),
    );
    const refused = Array.from({ length: 50 }, () =>
      rejection(pool.request(4, ApiKey.Fetch, 11, fetchV11(0))),
    );
    const started = performance.now();
    const answered = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pool.request(2, ApiKey.ApiVersions, 3, apiVersions(i))),
    );
    expect(performance.now() - started).toBeLessThan(300);
    answered.forEach((response, i) => {
      expect(response.throttleTimeMs).toBe(i);
    });
    for (const error of await Promise.all(refused)) expect(error.reason).toBe("PeerDown");
    expect(pool.client(3)!.pendingCount).toBe(50);
    expect((await rejection(pool.request(9, ApiKey.ApiVersions, 3, apiVersions(0)))).reason).toBe("PeerDown");
    pool.close();
    for (const error of await Promise.all(stuck)) expect(error.reason).toBe("Closed");
  });

  test("bad options and requests are clear errors", async () => {
    expect(
      () => new PeerClient({ nodeId: 2, host: "127.0.0.1", port: 1 }, { ...options, queuedRequestsMax: 0 }),
    ).toThrow(/queuedRequestsMax must be a positive integer/);
    const c = client({ nodeId: 2, host: "127.0.0.1", port: closedPort() }, { requestBytesMax: 10 });
    expect((await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(1)))).reason).toBe("BadRequest");
    expect((await rejection(c.request(ApiKey.ApiVersions, 99, apiVersions(1)))).reason).toBe("BadRequest");
    expect((await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(1), -5))).reason).toBe("BadRequest");
    c.close();
    expect((await rejection(c.request(ApiKey.ApiVersions, 3, apiVersions(1)))).reason).toBe("Closed");
  });
});
