/**
 * The SASL gate fails closed, shown with raw frames against `bun run broker` on a SASL_PLAINTEXT
 * listener: requests before authentication, unknown and disabled mechanisms, SCRAM exchanges with a
 * tampered nonce, a wrong proof, a replayed final message, a wrong channel binding and truncated
 * messages, and the raw-token path after SaslHandshake v0. Each refusal answers Kafka's error (or,
 * on the raw path, nothing), closes the connection, and serves nothing: no topic is created, no
 * record stored, no later pipelined request answered.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  ApiKey,
  decodeResponse,
  ErrorCode,
  encodeRecordBatch,
  encodeRequestFrame,
  Writer,
} from "@eddy/protocol";
import { kcat, type RunningBroker, removeDir, startBroker, until } from "./harness.ts";
import { RawClient } from "./raw-client.ts";
import { kcatSasl, ScramClient, saslBrokerArgs } from "./sasl-fixture.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ args: saslBrokerArgs });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const enc = new TextEncoder();
const dec = new TextDecoder();

function topics(): string[] {
  const out = kcat(["-L", "-b", broker.bootstrap, "-J", ...kcatSasl("PLAIN", "alice", "alice-secret")]);
  return (JSON.parse(out) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
}

const metadataFor = (topic: string) => ({
  topics: [{ name: topic }],
  allowAutoTopicCreation: true,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
});

const produceTo = (topic: string) => ({
  acks: 1,
  timeoutMs: 5000,
  transactionalId: null,
  topicData: [
    {
      name: topic,
      partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: enc.encode("evil") }] }) }],
    },
  ],
});

/** Expects the broker to have closed the connection with no (further) bytes. */
async function expectClosed(client: RawClient): Promise<void> {
  expect(await client.nextFrame()).toBeNull();
  expect(client.closed).toBe(true);
}

async function handshake(client: RawClient, mechanism: string, version = 1) {
  return client.request(ApiKey.SaslHandshake, version, { mechanism });
}

async function authenticate(client: RawClient, token: Uint8Array, version = 2) {
  return client.request(ApiKey.SaslAuthenticate, version, { authBytes: token });
}

/** Runs a SCRAM exchange up to server-first on a fresh connection. */
async function scramStart(scram: ScramClient) {
  const client = await RawClient.connect(broker.port);
  expect((await handshake(client, "SCRAM-SHA-256")).errorCode).toBe(ErrorCode.NONE);
  const first = await authenticate(client, scram.clientFirst());
  expect(first.errorCode).toBe(ErrorCode.NONE);
  return { client, serverFirst: first.authBytes };
}

async function expectAuthFailed(client: RawClient, token: Uint8Array): Promise<void> {
  const answer = await authenticate(client, token);
  expect(answer.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  expect(answer.errorMessage).toContain("Authentication failed");
  await expectClosed(client);
}

describe("before authentication", () => {
  test("ApiVersions is answered and lists SaslHandshake and SaslAuthenticate", async () => {
    const client = await RawClient.connect(broker.port);
    const versions = await client.request(ApiKey.ApiVersions, 3, {
      clientSoftwareName: "raw",
      clientSoftwareVersion: "1",
    });
    const keys = versions.apiKeys.map((k) => k.apiKey);
    expect(keys).toContain(ApiKey.SaslHandshake);
    expect(keys).toContain(ApiKey.SaslAuthenticate);
    client.close();
  });

  test("Metadata closes the connection and nothing is served (no auto-created topic)", async () => {
    const client = await RawClient.connect(broker.port);
    client.send(ApiKey.Metadata, 4, metadataFor("raw-meta"));
    await expectClosed(client);
    expect(topics()).not.toContain("raw-meta");
  });

  test("Produce closes the connection and nothing is stored", async () => {
    const client = await RawClient.connect(broker.port);
    client.send(ApiKey.Produce, 7, produceTo("raw-produce"));
    await expectClosed(client);
    expect(topics()).not.toContain("raw-produce");
  });

  test("Produce between SaslHandshake and SaslAuthenticate closes the connection", async () => {
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "PLAIN")).errorCode).toBe(ErrorCode.NONE);
    client.send(ApiKey.Produce, 7, produceTo("raw-produce-mid"));
    await expectClosed(client);
    expect(topics()).not.toContain("raw-produce-mid");
  });

  test("SaslAuthenticate before SaslHandshake: ILLEGAL_SASL_STATE, closed", async () => {
    const client = await RawClient.connect(broker.port);
    const answer = await authenticate(client, enc.encode("\0alice\0alice-secret"));
    expect(answer.errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    await expectClosed(client);
  });

  test("a frame above sasl.server.max.receive.size (512 KiB) closes the connection unread", async () => {
    const client = await RawClient.connect(broker.port);
    const big = new Uint8Array(4 + 600_000);
    new DataView(big.buffer).setInt32(0, 600_000);
    client.writeRaw(big);
    await expectClosed(client);
    await until("the broker's close line", () =>
      broker
        .output()
        .includes(
          "frame of 600000 bytes exceeds the limit of 524288 (sasl.server.max.receive.size before SASL authentication is 524288)",
        ),
    );
  });

  for (const mechanism of ["FOO", "GSSAPI", "OAUTHBEARER", "plain", ""]) {
    test(`mechanism "${mechanism}": UNSUPPORTED_SASL_MECHANISM with the enabled list, closed`, async () => {
      const client = await RawClient.connect(broker.port);
      const answer = await handshake(client, mechanism);
      expect(answer.errorCode).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
      expect(answer.mechanisms).toEqual(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
      await expectClosed(client);
    });
  }
});

describe("PLAIN with SaslAuthenticate", () => {
  test("the right password authenticates; Metadata is then served", async () => {
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "PLAIN")).errorCode).toBe(ErrorCode.NONE);
    const answer = await authenticate(client, enc.encode("\0alice\0alice-secret"), 1);
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    const metadata = await client.request(ApiKey.Metadata, 4, metadataFor("raw-plain-ok"));
    expect(metadata.topics[0]!.name).toBe("raw-plain-ok");
    // Authenticated, frames may be as large as socket.request.max.bytes again.
    const large = {
      ...produceTo("raw-plain-ok"),
      topicData: [
        {
          name: "raw-plain-ok",
          partitionData: [
            {
              index: 0,
              records: encodeRecordBatch({ records: [{ value: new Uint8Array(600_000).fill(65) }] }),
            },
          ],
        },
      ],
    };
    const produced = await client.request(ApiKey.Produce, 7, large);
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    // A second exchange after success is not one: Kafka's ILLEGAL_SASL_STATE.
    expect((await authenticate(client, enc.encode("\0alice\0alice-secret"))).errorCode).toBe(
      ErrorCode.ILLEGAL_SASL_STATE,
    );
    client.close();
  });

  for (const [what, token] of [
    ["a wrong password", "\0alice\0nope"],
    ["an unknown user", "\0mallory\0alice-secret"],
    ["another user's authzid", "bob\0alice\0alice-secret"],
    ["a truncated token", "\0alice"],
    ["an empty token", ""],
    ["four fields", "\0alice\0alice-secret\0x"],
  ] as const) {
    test(`${what}: SASL_AUTHENTICATION_FAILED, closed, a pipelined Produce unanswered`, async () => {
      const client = await RawClient.connect(broker.port);
      expect((await handshake(client, "PLAIN")).errorCode).toBe(ErrorCode.NONE);
      // The failing token and a Produce in one write: only the failure is answered.
      const w = new Writer();
      const auth = encodeRequestFrame(w, ApiKey.SaslAuthenticate, 2, 77, "raw", {
        authBytes: enc.encode(token),
      }).slice();
      const produce = encodeRequestFrame(
        new Writer(),
        ApiKey.Produce,
        7,
        78,
        "raw",
        produceTo("raw-plain-bad"),
      );
      const both = new Uint8Array(auth.length + produce.length);
      both.set(auth, 0);
      both.set(produce, auth.length);
      client.writeRaw(both);
      const frame = await client.nextFrame();
      const answer = decodeResponse(frame!, ApiKey.SaslAuthenticate, 2);
      expect(answer.correlationId).toBe(77);
      expect(answer.body.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
      expect(answer.body.errorMessage).toBe("Authentication failed: Invalid username or password");
      await expectClosed(client);
      expect(topics()).not.toContain("raw-plain-bad");
    });
  }
});

test("a failed authentication is answered and closed after connection.failed.authentication.delay.ms (100)", async () => {
  const client = await RawClient.connect(broker.port);
  expect((await handshake(client, "PLAIN")).errorCode).toBe(ErrorCode.NONE);
  const started = performance.now();
  const answer = await authenticate(client, enc.encode("\0alice\0guess"));
  expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  expect(answer.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  await expectClosed(client);
});

describe("SCRAM-SHA-256 with SaslAuthenticate", () => {
  test("a correct exchange authenticates and the server signature checks out", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const { client, serverFirst } = await scramStart(scram);
    expect(dec.decode(serverFirst)).toMatch(
      new RegExp(`^r=${escapeRegExp(scram.clientNonce)}[^,]+,s=[^,]+,i=4096$`),
    );
    const { message, serverSignature } = scram.clientFinal(serverFirst);
    const final = await authenticate(client, message);
    expect(final.errorCode).toBe(ErrorCode.NONE);
    expect(dec.decode(final.authBytes)).toBe(serverSignature);
    expect((await client.request(ApiKey.Metadata, 4, metadataFor("raw-scram-ok"))).topics.length).toBe(1);
    client.close();
  });

  test("a tampered nonce is refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const { client, serverFirst } = await scramStart(scram);
    const nonce = /^r=([^,]+)/.exec(dec.decode(serverFirst))![1]!;
    const last = nonce.at(-1) === "A" ? "B" : "A";
    await expectAuthFailed(client, scram.clientFinal(serverFirst, nonce.slice(0, -1) + last).message);
  });

  test("a nonce with an arbitrary prefix is refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const { client, serverFirst } = await scramStart(scram);
    const nonce = /^r=([^,]+)/.exec(dec.decode(serverFirst))![1]!;
    await expectAuthFailed(client, scram.clientFinal(serverFirst, `xyz${nonce}`).message);
  });

  test("only the client's own nonce: refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const { client, serverFirst } = await scramStart(scram);
    await expectAuthFailed(client, scram.clientFinal(serverFirst, scram.clientNonce).message);
  });

  test("a wrong proof is refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const { client, serverFirst } = await scramStart(scram);
    const text = dec.decode(scram.clientFinal(serverFirst).message);
    const proof = Buffer.from(text.slice(text.indexOf(",p=") + 3), "base64");
    proof[0]! ^= 1;
    await expectAuthFailed(
      client,
      enc.encode(`${text.slice(0, text.indexOf(",p="))},p=${proof.toString("base64")}`),
    );
  });

  test("a wrong password's proof is refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "not-bobs");
    const { client, serverFirst } = await scramStart(scram);
    await expectAuthFailed(client, scram.clientFinal(serverFirst).message);
  });

  test("an unknown user gets a challenge like any user, then is refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "mallory", "anything");
    const { client, serverFirst } = await scramStart(scram);
    expect(dec.decode(serverFirst)).toMatch(/^r=[^,]+,s=[^,]+,i=4096$/);
    await expectAuthFailed(client, scram.clientFinal(serverFirst).message);
  });

  test("a replayed final message is refused on a new connection", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const first = await scramStart(scram);
    const captured = scram.clientFinal(first.serverFirst).message;
    expect((await authenticate(first.client, captured)).errorCode).toBe(ErrorCode.NONE);
    first.client.close();
    // The same client-first (same client nonce), then the captured final: the server's nonce differs.
    const second = await scramStart(scram);
    await expectAuthFailed(second.client, captured);
  });

  test("a wrong channel binding is refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const { client, serverFirst } = await scramStart(scram);
    const text = dec.decode(scram.clientFinal(serverFirst).message).replace("c=biws", "c=eSws");
    await expectAuthFailed(client, enc.encode(text));
  });

  test("a truncated client-first is refused", async () => {
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "SCRAM-SHA-256")).errorCode).toBe(ErrorCode.NONE);
    await expectAuthFailed(client, enc.encode("n,,n=bob,r"));
  });

  test("a truncated client-final is refused", async () => {
    const scram = new ScramClient("SCRAM-SHA-256", "bob", "bob-secret");
    const { client, serverFirst } = await scramStart(scram);
    const message = scram.clientFinal(serverFirst).message;
    await expectAuthFailed(client, message.subarray(0, message.length - 5));
  });

  test("a truncated frame (size larger than the bytes sent) serves nothing", async () => {
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "SCRAM-SHA-256")).errorCode).toBe(ErrorCode.NONE);
    const frame = encodeRequestFrame(new Writer(), ApiKey.SaslAuthenticate, 2, 9, "raw", {
      authBytes: enc.encode("n,,n=bob,r=abcdef"),
    });
    client.writeRaw(frame.subarray(0, frame.length - 4));
    expect(await client.nextFrame(500).catch(() => "silent")).toBe("silent");
    client.close();
  });
});

describe("the raw-token path after SaslHandshake v0 (kafka-python's)", () => {
  const sized = (token: Uint8Array): Uint8Array => {
    const out = new Uint8Array(4 + token.length);
    new DataView(out.buffer).setInt32(0, token.length);
    out.set(token, 4);
    return out;
  };

  test("PLAIN: a zero-length answer, then requests are served", async () => {
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "PLAIN", 0)).errorCode).toBe(ErrorCode.NONE);
    client.writeRaw(sized(enc.encode("alice\0alice\0alice-secret")));
    expect(await client.nextFrame()).toEqual(new Uint8Array(0));
    expect((await client.request(ApiKey.Metadata, 4, metadataFor("raw-v0-ok"))).topics.length).toBe(1);
    client.close();
  });

  test("PLAIN: a wrong password closes the connection with no answer", async () => {
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "PLAIN", 0)).errorCode).toBe(ErrorCode.NONE);
    client.writeRaw(sized(enc.encode("alice\0alice\0wrong")));
    await expectClosed(client);
  });

  test("PLAIN: a Kafka request instead of the token is a malformed token: closed, not served", async () => {
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "PLAIN", 0)).errorCode).toBe(ErrorCode.NONE);
    client.send(ApiKey.Metadata, 4, metadataFor("raw-v0-meta"));
    await expectClosed(client);
    expect(topics()).not.toContain("raw-v0-meta");
  });

  test("SCRAM-SHA-512: a correct exchange, then a replayed final message closes the connection", async () => {
    const scram = new ScramClient("SCRAM-SHA-512", "carol", "carol-secret");
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "SCRAM-SHA-512", 0)).errorCode).toBe(ErrorCode.NONE);
    client.writeRaw(sized(scram.clientFirst()));
    const serverFirst = (await client.nextFrame())!;
    const { message, serverSignature } = scram.clientFinal(serverFirst);
    client.writeRaw(sized(message));
    expect(dec.decode((await client.nextFrame())!)).toBe(serverSignature);
    expect((await client.request(ApiKey.Metadata, 4, metadataFor("raw-v0-scram"))).topics.length).toBe(1);
    // Authenticated, the next frame is a Kafka request again: the replayed token is not one.
    client.writeRaw(sized(message));
    await expectClosed(client);
  });

  test("SCRAM-SHA-512: a tampered nonce closes the connection with no answer", async () => {
    const scram = new ScramClient("SCRAM-SHA-512", "carol", "carol-secret");
    const client = await RawClient.connect(broker.port);
    expect((await handshake(client, "SCRAM-SHA-512", 0)).errorCode).toBe(ErrorCode.NONE);
    client.writeRaw(sized(scram.clientFirst()));
    const serverFirst = (await client.nextFrame())!;
    client.writeRaw(sized(scram.clientFinal(serverFirst, `${scram.clientNonce}AAAA`).message));
    await expectClosed(client);
  });
});

test("the broker's log names each refusal and never a password", () => {
  const log = broker.output().slice(broker.output().indexOf("Eddy "));
  expect(log).toContain("SCRAM nonce does not match");
  expect(log).toContain("invalid SCRAM credentials");
  expect(log).toContain("before SASL authentication; nothing served");
  for (const secret of ["alice-secret", "bob-secret", "carol-secret", "not-bobs", "nope"]) {
    expect(log).not.toContain(secret);
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
