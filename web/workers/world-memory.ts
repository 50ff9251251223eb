// The world worker's long-term memory: an AgentMemory over an IndexedDB log (memory/persist/idb.ts), opened once
// per worker and kept across episodes, so it survives reloads. In 'record' mode the loop writes and recalls as
// usual but the planner's prompt gets no memories (see MemoryMode in ../protocol.ts).
import type { LoopMemory } from '../../agent/loop.ts';
import { AgentMemory } from '../../agent/memory/index.ts';
import { IdbLog } from '../../memory/persist/idb.ts';
import type { MemoryRecord } from '../../memory/types.ts';
import { assertNever } from '../../sim/types.ts';
import type { MemoryItem, MemoryMode } from '../protocol.ts';

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

/** The memory as the loop gets it in a mode, or undefined for none. */
export function loopMemory(memory: AgentMemory, mode: MemoryMode): LoopMemory | undefined {
  switch (mode) {
    case 'off':
      return undefined;
    case 'prompt':
      return memory;
    case 'record':
      return {
        episodeStart: (info) => memory.episodeStart(info),
        observe: (step, observation, simTime) => memory.observe(step, observation, simTime),
        // Recalled and shown (the records), not handed to the planner (the texts).
        recall: (request) => ({ texts: [], records: memory.recall(request).records }),
        outcome: (step, action, outcome, observation, simTime) => memory.outcome(step, action, outcome, observation, simTime),
        episodeEnd: (result, simTime) => memory.episodeEnd(result, simTime),
      };
    default:
      return assertNever(mode, 'memory mode');
  }
}
