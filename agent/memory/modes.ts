// What an episode does with a long-term memory: nothing ('off'); write and recall while the planner's prompt gets no
// memories ('record': what a planner trained with an empty memory slot, such as the shipped one, should get, since
// memories in its prompt change its decisions); or also hand the recalled ones to the planner ('prompt').
import type { LoopMemory } from '../loop.ts';
import { assertNever } from '../../sim/types.ts';
import type { AgentMemory } from './agent-memory.ts';

export const MEMORY_MODES = ['off', 'record', 'prompt'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

export function isMemoryMode(value: string): value is MemoryMode {
  return (MEMORY_MODES as readonly string[]).includes(value);
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
        // Recalled and reported (the records), not handed to the planner (the texts).
        recall: (request) => ({ texts: [], records: memory.recall(request).records }),
        outcome: (step, action, outcome, observation, simTime) => memory.outcome(step, action, outcome, observation, simTime),
        episodeEnd: (result, simTime) => memory.episodeEnd(result, simTime),
      };
    default:
      return assertNever(mode, 'memory mode');
  }
}
