// What an episode does with a long-term memory: nothing ('off'); write and recall while the planner gets nothing
// of it ('record': what a planner trained with an empty memory slot, such as the shipped one, should get, since
// memories in its prompt change its decisions); or also hand the planner the recalled memories and, for a memory
// that spans episodes, the objects remembered from earlier ones as seen before ('prompt', seenBefore).
import type { LoopMemory } from '../loop.ts';
import { MEMORY_MODES, type MemoryMode } from '../../scenes/family-names.ts';
import { assertNever } from '../../sim/types.ts';
import type { AgentMemory } from './agent-memory.ts';

// One list for the command line, the app and scenario files (scenes/ names it; agent/ may import scenes/).
export { MEMORY_MODES, type MemoryMode };

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
        // Recalled and reported (the records), not handed to the planner (the texts); no remembered sightings.
        recall: (request) => ({ texts: [], records: memory.recall(request).records }),
        outcome: (step, action, outcome, observation, simTime) => memory.outcome(step, action, outcome, observation, simTime),
        episodeEnd: (result, simTime) => memory.episodeEnd(result, simTime),
      };
    default:
      return assertNever(mode, 'memory mode');
  }
}
