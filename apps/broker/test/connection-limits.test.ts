/**
 * The server's limits as a client meets them: `max.connections` refuses the connection past it (and a
 * freed slot is taken again), and `queued.max.requests` pauses reading a pipelining connection without
 * losing or reordering any request.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RunningBroker, startBroker, until } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({
    args: ["--override", "max.connections=2", "--override", "queued.max.requests=2"],
  });
});

afterAll(async () => {
  await broker.stop();
});

function correlationOf(frame: Uint8Array | null): number {
  expect(frame).not.toBeNull();
  return new DataView(frame!.buffer, frame!.byteOffset).getInt32(0);
}

test("max.connections: the connection past the limit is closed; a freed slot serves a new one", async () => {
  const first = await RawClient.connect(broker.port);
  const second = await RawClient.connect(broker.port);
  expect((await first.request(18, 2, {})).errorCode).toBe(0);
  expect((await second.request(18, 2, {})).errorCode).toBe(0);
  const third = await RawClient.connect(broker.port);
  third.send(18, 2, {});
  expect(await third.nextFrame()).toBeNull();
  // The log line is written by the broker's process; it may reach the pipe a moment after the close.
  await until("the refusal in the log", () => broker.output().includes("max.connections reached"), 10_000);
  first.close();
  let fourth: RawClient | undefined;
  await until("a connection after one closed", async () => {
    fourth?.close();
    fourth = await RawClient.connect(broker.port);
    fourth.send(18, 2, {});
    return (await fourth.nextFrame()) !== null;
  });
  fourth?.close();
  second.close();
}, 30_000);

test("queued.max.requests: twenty pipelined requests over a limit of two are all answered, in order", async () => {
  await until("a free connection slot", async () => {
    const probe = await RawClient.connect(broker.port);
    probe.send(18, 2, {});
    const open = (await probe.nextFrame()) !== null;
    probe.close();
    return open;
  });
  const client = await RawClient.connect(broker.port);
  const ids = Array.from({ length: 20 }, (_, i) =>
    client.send(i % 2 === 0 ? 18 : 3, i % 2 === 0 ? 2 : 1, i % 2 === 0 ? {} : { topics: [] }),
  );
  const seen: number[] = [];
  for (let i = 0; i < ids.length; i++) seen.push(correlationOf(await client.nextFrame()));
  expect(seen).toEqual(ids);
  client.close();
}, 30_000);
