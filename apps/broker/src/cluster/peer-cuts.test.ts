/**
 * The fault hook's table (`peer-cuts.ts`): a cut reaches every pool's hook for the peer, including
 * hooks made after the cut (a peer whose address changed), heals undo only what they name, and the
 * inbound side recognises exactly the client ids the node's own peer pools send with.
 */
import { describe, expect, test } from "bun:test";
import { PeerCuts } from "./peer-cuts.ts";

describe("PeerCuts", () => {
  test("an outbound cut reaches each pool's hook for the peer, and a hook made later starts cut", () => {
    const cuts = new PeerCuts();
    const control = cuts.faultsForPool();
    const fetch = cuts.faultsForPool();
    const [c2, c3, f2] = [control(2), control(3), fetch(2)];
    // One hook per pool and peer: a hook serves one client.
    expect(c2).not.toBe(f2);
    expect(control(2)).toBe(c2);
    cuts.cut([2], "out");
    expect([c2.isCut, f2.isCut, c3.isCut]).toEqual([true, true, false]);
    expect(cuts.isCutIn(2)).toBe(false);
    const late = cuts.faultsForPool();
    expect(late(2).isCut).toBe(true);
    cuts.heal([2]);
    expect([c2.isCut, f2.isCut, late(2).isCut]).toEqual([false, false, false]);
    expect(cuts.state).toEqual({ out: [], in: [] });
  });

  test("both directions, and a heal of one direction keeps the other", () => {
    const cuts = new PeerCuts();
    const pool = cuts.faultsForPool();
    cuts.cut([3, 2], "both");
    expect(cuts.state).toEqual({ out: [2, 3], in: [2, 3] });
    cuts.heal([2], "out");
    expect(pool(2).isCut).toBe(false);
    expect(cuts.isCutIn(2)).toBe(true);
    expect(cuts.state).toEqual({ out: [3], in: [2, 3] });
    cuts.heal(null);
    expect(cuts.state).toEqual({ out: [], in: [] });
    expect(pool(3).isCut).toBe(false);
  });

  test("inbound, only the peer pools' client ids of a cut peer are refused", () => {
    const cuts = new PeerCuts();
    expect(cuts.refusedClient("eddy-node-2")).toBeNull();
    cuts.cut([2], "in");
    expect(cuts.refusedClient("eddy-node-2")).toBe(2);
    expect(cuts.refusedClient("eddy-replica-fetcher-2")).toBe(2);
    expect(cuts.refusedClient("eddy-node-3")).toBeNull();
    expect(cuts.refusedClient("eddy-node-22")).toBeNull();
    expect(cuts.refusedClient("kafkajs eddy-node-2")).toBeNull();
    expect(cuts.refusedClient(null)).toBeNull();
    // An inbound cut leaves this node's own connections to the peer alone.
    expect(cuts.faultsForPool()(2).isCut).toBe(false);
  });

  test("refuses what is not a node id", () => {
    const cuts = new PeerCuts();
    expect(() => cuts.cut([-1], "both")).toThrow(RangeError);
    expect(() => cuts.cut([1.5], "both")).toThrow(RangeError);
    expect(() => cuts.heal([Number.NaN])).toThrow(RangeError);
    expect(cuts.state).toEqual({ out: [], in: [] });
  });
});
