// The agent's long-term memory (agent/memory/): what the loop writes and recalls (see agent-memory.ts).
export { AgentMemory, defaultIndexFactory, recallQuery, type AgentMemoryOptions, type AgentMemorySettings, type AgentRecall } from './agent-memory.ts';
export { failureText, nameOf, sightingText, type KnownEntity } from './text.ts';
export { isMemoryMode, loopMemory, MEMORY_MODES, type MemoryMode } from './modes.ts';
export { seriesMemory } from './series.ts';
