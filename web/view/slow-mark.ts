// User-timing marks for slow work only (on the page's thread or the render worker's): a performance.measure named
// `umwelt:<what>` when the work took longer than a frame's share (8 ms), so that a devtools trace shows what made a
// frame long, and the thread does not pile up a measure per frame over a long session.
export const SLOW_MS = 8;

/** Records `umwelt:<what>` from `started` (a performance.now() reading) to now, when that is slow. */
export function markIfSlow(what: string, started: number): void {
  if (performance.now() - started > SLOW_MS) performance.measure(`umwelt:${what}`, { start: started });
}
