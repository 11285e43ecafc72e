/**
 * One-line notices from deep in the I/O layer (a config read in place of one with conflict
 * markers) that the user must see once, whichever command read it and however often. The CLI says
 * where they go; without a sink (the programmatic API) they are dropped.
 */
let sink: ((line: string) => void) | null = null;
const said = new Set<string>();

export function setNoticeSink(write: ((line: string) => void) | null): void {
  sink = write;
}

/** Say `line` once per process. */
export function notice(line: string): void {
  if (said.has(line)) return;
  said.add(line);
  sink?.(line);
}
