/**
 * What every JSON admin API handler shares: answers as JSON with a status, errors as
 * `{ "error": "..." }` saying what to do, and request bodies read with a size limit and parsed.
 * Owns the wire shape of the admin API only; it must never decide anything about the broker.
 */

/** The largest JSON body a handler parses (Bun's listener refuses larger ones before this). */
export const jsonBodyBytesMax = 64 * 1024;

export function ok(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

export function problem(status: number, error: string): Response {
  return Response.json({ error }, { status, headers: { "cache-control": "no-store" } });
}

/** A request the handler refuses with a status and a message (thrown, turned into `problem`). */
export class ApiRefusal extends Error {
  override readonly name = "ApiRefusal";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request's JSON object body; refuses a body that is too large, not JSON, or not an object. */
export async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  // Only JSON is read: a web page elsewhere can send a plain-text POST to this address without
  // asking, but a JSON one needs a CORS preflight, which this listener never grants.
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiRefusal(415, "send the body as JSON, with content-type: application/json");
  }
  const text = await request.text();
  if (text.length > jsonBodyBytesMax)
    throw new ApiRefusal(413, `a body may hold at most ${jsonBodyBytesMax} bytes`);
  let parsed: unknown;
  try {
    parsed = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new ApiRefusal(400, "the body is not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ApiRefusal(400, "the body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** An integer query parameter or body field within bounds, or the fallback when absent. */
export function intWithin(
  raw: unknown,
  name: string,
  bounds: { min: number; max: number },
  fallback: number | null,
): number {
  if (raw === undefined || raw === null || raw === "") {
    if (fallback === null) throw new ApiRefusal(400, `${name} is required`);
    return fallback;
  }
  const value = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new ApiRefusal(
      400,
      `${name} must be an integer from ${bounds.min} to ${bounds.max}, not ${String(raw)}`,
    );
  }
  return value;
}
