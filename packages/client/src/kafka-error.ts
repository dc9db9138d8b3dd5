/**
 * The error a Kafka client of this repository throws when the broker refused or could not answer a
 * request: its message is the one line a user sees, and says what to do where it can.
 */
export class KafkaError extends Error {
  /** Kafka's error code when one refusal is worth telling apart (--if-exists), else null. */
  constructor(
    message: string,
    readonly code: number | null = null,
  ) {
    super(message);
  }
}

/**
 * The connection was refused at TLS or SASL: an untrusted or misnamed server certificate, a mechanism
 * the listener does not enable, a wrong password, or a server that could not prove it holds the
 * credential. The message names the client property to check.
 */
export class AuthenticationError extends KafkaError {}
