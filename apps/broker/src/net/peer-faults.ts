/**
 * The fault hook of the connection to one peer, for tests: drop request frames (they are never
 * written, so their requests time out), delay them, or cut the link (the connection closes at once
 * and new connections are refused until `heal`). Owns only the switches and telling the client a cut
 * happened; the client (`peer-client.ts`) consults it before every write and every connect. It must
 * never be armed in production: with no faults set it changes nothing.
 */

/** What the hook sees of a request about to be written. */
export interface OutboundRequest {
  readonly apiKey: number;
  readonly correlationId: number;
}

/** The longest a fault may hold a frame back; a longer delay is a cut, and should be said as one. */
export const faultDelayMsMax = 60_000;

export class PeerFaults {
  /** Request frames this answers true for are dropped instead of written. */
  dropWhen: ((request: OutboundRequest) => boolean) | null = null;
  private delayMsValue = 0;
  private cutValue = false;
  private onCut: (() => void) | null = null;

  /** Every request frame is written this many milliseconds late (order kept while the delay is unchanged). */
  get delayMs(): number {
    return this.delayMsValue;
  }

  set delayMs(value: number) {
    if (!Number.isFinite(value) || value < 0 || value > faultDelayMsMax) {
      throw new RangeError(`delayMs must be 0..${faultDelayMsMax}, got ${value}`);
    }
    this.delayMsValue = value;
  }

  get isCut(): boolean {
    return this.cutValue;
  }

  /** Cuts the link: the live connection closes now and no new one opens until `heal`. */
  cut(): void {
    this.cutValue = true;
    this.onCut?.();
  }

  heal(): void {
    this.cutValue = false;
  }

  /** Undoes every fault. */
  clear(): void {
    this.dropWhen = null;
    this.delayMsValue = 0;
    this.cutValue = false;
  }

  /**
   * Called by the client this hook belongs to. A hook serves one client at a time: a peer's new client
   * (its address changed, the old one closed) takes the hook over.
   */
  attach(onCut: () => void): void {
    this.onCut = onCut;
  }
}
