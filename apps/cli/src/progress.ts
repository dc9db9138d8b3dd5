/**
 * Progress on long work (producing stdin, consuming, dumping a log): one line on stderr, rewritten
 * at most once a second, and only when stderr is a terminal, so scripts that read stderr see only
 * errors. Owns that line and its timer. Must never write to stdout, where the results go.
 */

const intervalMs = 1_000;

export class Progress {
  private count = 0;
  private shown = false;
  private readonly timer: ReturnType<typeof setInterval> | null;

  constructor(
    private readonly label: string,
    enabled: boolean = process.stderr.isTTY === true,
  ) {
    this.timer = enabled ? setInterval(() => this.show(), intervalMs) : null;
  }

  /** Counts `n` more units of work done. */
  add(n: number): void {
    this.count += n;
  }

  /** Clears the line and stops the timer. */
  done(): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.shown) process.stderr.write("\r\x1b[K");
  }

  private show(): void {
    this.shown = true;
    process.stderr.write(`\r\x1b[K${this.label}: ${this.count}`);
  }
}
