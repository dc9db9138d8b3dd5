/**
 * Runs async tasks one at a time, in submission order. The core's state machines are stepped by
 * one task at a time per machine, so a step never interleaves with another step's storage writes.
 * The queue is bounded: a caller that would exceed it gets an error instead of unbounded memory.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private length = 0;

  constructor(
    private readonly name: string,
    private readonly lengthMax: number,
  ) {}

  run<A>(task: () => Promise<A> | A): Promise<A> {
    if (this.length >= this.lengthMax) {
      return Promise.reject(new Error(`${this.name}: more than ${this.lengthMax} queued tasks`));
    }
    this.length++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => {
        this.length--;
      },
      () => {
        this.length--;
      },
    );
    return result;
  }
}
