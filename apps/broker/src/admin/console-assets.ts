/**
 * The web console's files, served at `/`. Owns nothing yet: the console is the next step.
 */

/** The console's page for a path, or null when the path is not the console's. */
export function serveConsole(_path: string): Response | null {
  return null;
}
