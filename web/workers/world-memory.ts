// The world worker's long-term memory: an AgentMemory over an IndexedDB log (memory/persist/idb.ts), opened once
// per worker and kept across episodes, so it survives reloads. The episode's memory mode (agent/memory/modes.ts)
// decides what the loop does with it.
import { AgentMemory } from '../../agent/memory/index.ts';
import { IdbLog } from '../../memory/persist/idb.ts';
import type { MemoryRecord } from '../../memory/types.ts';
import type { MemoryItem } from '../protocol.ts';

export const MEMORY_DB = 'umwelt-memory';

export interface OpenMemory {
  memory: AgentMemory;
  log: IdbLog;
  /** Records the log could not read back (reported once, in the console). */
  dropped: number;
}

let opened: Promise<OpenMemory> | null = null;

export function openMemory(): Promise<OpenMemory> {
  opened ??= (async () => {
    const log = new IdbLog(MEMORY_DB, { durability: 'relaxed' });
    const { memory, report } = await AgentMemory.open({ backend: log, acrossEpisodes: true });
    if (report.dropped.length > 0) console.warn(`memory: ${report.dropped.length} unreadable entries dropped from IndexedDB`);
    return { memory, log, dropped: report.dropped.length };
  })();
  return opened;
}

export function itemOf(record: MemoryRecord, score?: number): MemoryItem {
  const item: MemoryItem = { id: record.id, kind: record.kind, text: record.text, importance: record.importance, episode: record.episode };
  if (score !== undefined) item.score = score;
  return item;
}
