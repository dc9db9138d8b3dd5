/**
 * The studio's element builders are packages/ui's, shared with the web console so both draw the same
 * way; this file only names them for the page's modules. Every text goes in as text, so nothing from
 * a run is ever parsed as HTML.
 */
export { type Child, el, table } from "@eddy/ui";
