/**
 * Where the messages drawing puts things: each node's place (brokers on top, controllers below,
 * producers left, consumers right) and the point a share of the way along a link, stopping short of
 * the circles so a dot never hides a node's name. Owns the geometry only; it must never touch the DOM.
 */

/** Radius of a node's circle, plus a margin, that a message's dot stays outside of. */
const nodeClearance = 24;

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where each node sits in the drawing; undefined for a name the drawing has no place for. */
export function placeOf(name: string): Point | undefined {
  const kind = name[0];
  const i = Number(name.slice(1));
  if (!Number.isInteger(i) || i < 0 || i > 9) return undefined;
  if (kind === "b") return { x: 170 + i * 110, y: 60 };
  if (kind === "c") return { x: 170 + i * 110, y: 240 };
  if (kind === "p") return { x: 50, y: 80 + i * 70 };
  if (kind === "k") return { x: 510, y: 60 + i * 60 };
  return undefined;
}

/** The point `share` (0 to 1) of the way from `from` to `to`, between the two circles' edges. */
export function flightPoint(from: Point, to: Point, share: number): Point {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.max(1, Math.hypot(dx, dy));
  const cut = Math.min(0.5, nodeClearance / length);
  const t = cut + (1 - 2 * cut) * Math.min(1, Math.max(0, share));
  return { x: from.x + dx * t, y: from.y + dy * t };
}
