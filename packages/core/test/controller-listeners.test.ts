/**
 * A broker's advertised listeners in its registration (Kafka's BrokerRegistrationRecord EndPoints).
 * Goal: the image keeps every listener a broker registered, so a broker can answer a client with each
 * broker's address on the listener the client arrived on, and a registration without listeners (the
 * simulator's, and every record written before listeners existed) records exactly what it did before.
 * Method: unit tests on one active controller whose batches commit at once.
 */
import { describe, expect, test } from "bun:test";
import * as controller from "../src/controller/index.ts";
import { Driver } from "./controller-driver.ts";

const listeners: readonly controller.BrokerListener[] = [
  { name: "CLIENT", host: "10.0.0.1", port: 9092, securityProtocol: "PLAINTEXT" },
  { name: "INTERNAL", host: "10.0.0.1", port: 9094, securityProtocol: "SASL_SSL" },
];

function register(
  d: Driver,
  brokerId: number,
  extra: Partial<controller.Input & { type: "registerBroker" }>,
) {
  return d.send({
    type: "registerBroker",
    nowMs: 0,
    brokerId,
    host: "10.0.0.1",
    port: 9094,
    rack: null,
    ...extra,
  });
}

describe("controller: broker listeners", () => {
  test("a registration's listeners are recorded and kept in the image", () => {
    const d = new Driver();
    const ready = register(d, 1, { listeners });
    expect(ready.response).toMatchObject({ type: "registerBroker", error: "NONE" });
    expect(ready.records).toEqual([
      {
        type: "RegisterBroker",
        brokerId: 1,
        brokerEpoch: 1,
        host: "10.0.0.1",
        port: 9094,
        rack: null,
        listeners,
      },
    ]);
    expect(controller.findBroker(d.image, 1)?.listeners).toEqual(listeners);
  });

  test("a registration without listeners records no listeners field", () => {
    const d = new Driver();
    const ready = register(d, 1, {});
    expect(ready.records[0]).not.toHaveProperty("listeners");
    expect(controller.findBroker(d.image, 1)).not.toHaveProperty("listeners");
  });

  test("a new incarnation replaces the listeners of the old one", () => {
    const d = new Driver();
    register(d, 1, { listeners });
    const moved = [{ ...listeners[0]!, port: 19092 }];
    register(d, 1, { listeners: moved });
    expect(controller.findBroker(d.image, 1)?.listeners).toEqual(moved);
    register(d, 1, {});
    expect(controller.findBroker(d.image, 1)).not.toHaveProperty("listeners");
  });

  const refused: [string, readonly controller.BrokerListener[]][] = [
    ["no listener at all", []],
    ["a name twice", [listeners[0]!, { ...listeners[1]!, name: "CLIENT" }]],
    ["an empty name", [{ ...listeners[0]!, name: "" }]],
    ["port 0", [{ ...listeners[0]!, port: 0 }]],
    ["port 65536", [{ ...listeners[0]!, port: 65_536 }]],
    ["an empty host", [{ ...listeners[0]!, host: "" }]],
    [
      "an unknown security protocol",
      [{ ...listeners[0]!, securityProtocol: "GSSAPI" as controller.SecurityProtocol }],
    ],
    [
      "more than brokerListenersMax",
      Array.from({ length: controller.brokerListenersMax + 1 }, (_, i) => ({
        ...listeners[0]!,
        name: `L${i}`,
      })),
    ],
  ];
  for (const [why, bad] of refused) {
    test(`refuses a registration with ${why}, recording nothing`, () => {
      const d = new Driver();
      const ready = register(d, 1, { listeners: bad });
      expect(ready.response).toEqual({ type: "registerBroker", error: "INVALID_REQUEST", brokerEpoch: -1 });
      expect(ready.records).toEqual([]);
      expect(controller.findBroker(d.image, 1)).toBeUndefined();
    });
  }
});
