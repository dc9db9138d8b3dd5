/**
 * Partition leader election: which replica leads a partition when its leader is gone or a preferred
 * election is asked for. The ISR is the only source of clean leaders; a replica outside it may lead
 * only when unclean election is enabled (cluster default or the topic's override), and such a change
 * is flagged unclean. This module only decides; it must never apply or propose anything.
 */
import { invariant } from "../invariant.ts";
import { isLive } from "./image.ts";
import {
  type BrokerId,
  type ControllerConfig,
  type MetadataImage,
  type MetadataRecord,
  noLeader,
  type PartitionState,
  type TopicImage,
  uncleanLeaderElectionConfig,
} from "./types.ts";

export interface Election {
  readonly leader: BrokerId;
  readonly unclean: boolean;
}

export function uncleanAllowed(topic: TopicImage, config: ControllerConfig): boolean {
  const override = topic.configs[uncleanLeaderElectionConfig];
  return override === undefined ? config.uncleanLeaderElectionEnable : override === "true";
}

/**
 * Picks a leader in replica (preference) order: the first live ISR member; failing that, the first
 * live replica if unclean election is allowed; failing that, no leader. `excluded` is treated as
 * dead (the broker being fenced in the same batch).
 */
export function electLeader(
  image: MetadataImage,
  p: PartitionState,
  allowUnclean: boolean,
  excluded: BrokerId | null,
): Election {
  const live = (r: BrokerId) => r !== excluded && isLive(image, r);
  const clean = p.replicas.find((r) => p.isr.includes(r) && live(r));
  if (clean !== undefined) return { leader: clean, unclean: false };
  if (allowUnclean) {
    const any = p.replicas.find(live);
    if (any !== undefined) return { leader: any, unclean: true };
  }
  return { leader: noLeader, unclean: false };
}

/**
 * The change a partition needs when `brokerId` goes away: it leaves the ISR (unless it is the last
 * member, kept so it can lead again cleanly when it returns) and, if it led, a new leader is elected
 * from the remaining ISR. Null when the partition does not depend on that broker.
 */
export function changeForLostBroker(
  image: MetadataImage,
  topic: TopicImage,
  p: PartitionState,
  brokerId: BrokerId,
  config: ControllerConfig,
): MetadataRecord | null {
  if (!p.isr.includes(brokerId) && p.leader !== brokerId) return null;
  const shrunk = p.isr.filter((r) => r !== brokerId);
  let isr = shrunk.length > 0 ? shrunk : p.isr;
  let leader = p.leader;
  let unclean = false;
  if (p.leader === brokerId || p.leader === noLeader) {
    const election = electLeader(image, p, uncleanAllowed(topic, config), brokerId);
    leader = election.leader;
    unclean = election.unclean;
    if (unclean) isr = [leader];
  }
  if (leader === p.leader && sameMembers(isr, p.isr)) return null;
  return partitionChange(topic, p, leader, isr, unclean);
}

/**
 * The change that brings an offline partition back once a replica can lead it, or null (it has a
 * leader, or no replica may lead). `allowUnclean`: the topic's setting, or true for an explicit
 * unclean ElectLeaders.
 */
export function changeForOfflinePartition(
  image: MetadataImage,
  topic: TopicImage,
  p: PartitionState,
  allowUnclean: boolean,
): MetadataRecord | null {
  if (p.leader !== noLeader) return null;
  const election = electLeader(image, p, allowUnclean, null);
  if (election.leader === noLeader) return null;
  const isr = election.unclean ? [election.leader] : p.isr;
  return partitionChange(topic, p, election.leader, isr, election.unclean);
}

/** Builds a PartitionChange, bumping the leader epoch exactly when the leader changes. */
export function partitionChange(
  topic: TopicImage,
  p: PartitionState,
  leader: BrokerId,
  isr: readonly BrokerId[],
  unclean: boolean,
): MetadataRecord {
  invariant(isr.length > 0, "election: empty ISR");
  invariant(leader === noLeader || isr.includes(leader), "election: leader outside the new ISR");
  invariant(
    unclean || leader === noLeader || leader === p.leader || p.isr.includes(leader),
    "election: unclean",
  );
  return {
    type: "PartitionChange",
    topic: topic.name,
    topicId: topic.topicId,
    partition: p.partition,
    leader,
    leaderEpoch: leader === p.leader ? p.leaderEpoch : p.leaderEpoch + 1,
    isr: [...isr],
    partitionEpoch: p.partitionEpoch + 1,
    unclean,
  };
}

export function sameMembers(a: readonly BrokerId[], b: readonly BrokerId[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
