// The memory the episodes of one series share (the visits of a house, run in order): a fresh in-memory AgentMemory
// that spans episodes, no file. The eval harness (eval/episode.ts runJob, scope `house`) and `umwelt data
// --memory-mode` (agent/data/jobs.ts) both make it here, so training data see the memory the harness measures.
import { AgentMemory } from './agent-memory.ts';

export function seriesMemory(): AgentMemory {
  return AgentMemory.inMemory({ acrossEpisodes: true });
}
