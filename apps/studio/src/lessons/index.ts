/**
 * The guided lessons, in teaching order, and free play. Owns the list; it must never hold a lesson.
 */
import { controllerQuorum } from "./controller-quorum.ts";
import { failover } from "./failover.ts";
import { freePlay } from "./free-play.ts";
import { keys } from "./keys.ts";
import { knownBug } from "./known-bug.ts";
import type { Lesson } from "./lesson.ts";
import { placement } from "./placement.ts";
import { pubSub } from "./pub-sub.ts";
import { rebalancing } from "./rebalancing.ts";
import { replication } from "./replication.ts";
import { retention } from "./retention.ts";
import { segments } from "./segments.ts";

export const lessons: readonly Lesson[] = [
  freePlay,
  keys,
  segments,
  retention,
  replication,
  failover,
  rebalancing,
  pubSub,
  controllerQuorum,
  placement,
  knownBug,
];

export function lessonById(id: string): Lesson | undefined {
  return lessons.find((l) => l.id === id);
}
