/**
 * Which replicas of a partition may not join its ISR now (Kafka's KIP-841 `isReplicaIsrEligible`),
 * worked out from the brokers a committed metadata image registers. Both bindings reach it with every
 * image they apply, through `PartitionReplica.applyPartitionImage`: the broker's runtime with its image's
 * registrations, the simulator with those its controller hands back in heartbeat answers, so the rule
 * is written once. It owns that rule only; it must never step a replica or read anything but its input.
 */
import { invariant } from "@eddy/core";

/** What the rule needs of a broker registration (the core's `BrokerRegistration` has both fields). */
export interface BrokerLiveness {
  readonly brokerId: number;
  /** Fenced by the controller: its session lapsed, or it asked to be (a controlled shutdown). */
  readonly fenced: boolean;
}

/** Replicas one partition may list: a bound on the walk below (Kafka's replication factors are small). */
export const eligibilityReplicasMax = 64;
/** Registrations one image may carry, as far as this walk is concerned. */
export const eligibilityBrokersMax = 65_536;

/**
 * The partition's replicas the controller would refuse to add to an ISR: those fenced (a lapsed
 * session or a controlled shutdown) and those not registered at all, in replica order. The controller
 * refuses exactly these (INELIGIBLE_REPLICA), so a leader that proposed one would only be refused and
 * would be left holding its high watermark for the refused candidate.
 */
export function ineligibleReplicas(
  brokers: readonly BrokerLiveness[],
  replicas: readonly number[],
): number[] {
  invariant(replicas.length <= eligibilityReplicasMax, "ineligibleReplicas: too many replicas");
  invariant(brokers.length <= eligibilityBrokersMax, "ineligibleReplicas: too many registrations");
  const out: number[] = [];
  for (const id of replicas) {
    const broker = brokers.find((b) => b.brokerId === id);
    if (broker === undefined || broker.fenced) out.push(id);
  }
  invariant(out.length <= replicas.length, "ineligibleReplicas: more ineligible than replicas");
  return out;
}
