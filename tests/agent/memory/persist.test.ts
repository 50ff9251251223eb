// The agent's memory through the crash-safe file log: an episode's memories reopen as they were, and the next
// episode continues the same store (ids, episode numbering and the simulated clock carry on).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEpisode } from '../../../agent/loop.ts';
import { AgentMemory } from '../../../agent/memory/index.ts';
import { OraclePlanner } from '../../../agent/planners/oracle.ts';
import { FileLog } from '../../../memory/persist/log.ts';
import { familyEnv } from '../../../scenes/env.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-agent-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function episode(memory: AgentMemory, seed: number): Promise<void> {
  const env = familyEnv('search');
  const result = await runEpisode({ env, planner: new OraclePlanner(env), seed, memory });
  expect(result.success).toBe(true);
}

describe('AgentMemory persisted through the file log', () => {
  it('reopens with the same memories and carries on from them', async () => {
    const path = join(dir, 'agent.log');
    const opened = await AgentMemory.open({ backend: new FileLog(path, { fsync: 'never' }), acrossEpisodes: true });
    expect(opened.report.records).toEqual([]);
    const memory = opened.memory;
    await episode(memory, 1_000_001);
    const snapshot = memory.store.snapshot();
    const latest = memory.now;
    expect(snapshot.records.length).toBeGreaterThan(3);
    memory.store.close();

    const { memory: again, report } = await AgentMemory.open({ backend: new FileLog(path, { fsync: 'never' }), acrossEpisodes: true });
    expect(report.dropped).toEqual([]);
    // Records, embeddings, importance and last access (recalls touched them) all as they were.
    expect(again.store.snapshot()).toEqual(snapshot);
    expect(again.search('where is the white candle', { now: latest })[0]?.record.text).toMatch(/white candle \(candle_\d+\)/);

    // The next episode numbers itself after the stored one and starts no earlier than the stored clock.
    await episode(again, 1_000_001);
    expect(new Set(again.records().map((r) => r.episode))).toEqual(new Set(['e1-search-1000001', 'e2-search-1000001']));
    expect(Math.min(...again.records().filter((r) => r.episode === 'e2-search-1000001').map((r) => r.simTime))).toBeGreaterThanOrEqual(latest);
    const kept = again.store.snapshot();
    again.store.close();

    // clear() compacts the log to nothing.
    const { memory: third } = await AgentMemory.open({ backend: new FileLog(path, { fsync: 'never' }), acrossEpisodes: true });
    expect(third.store.snapshot()).toEqual(kept);
    third.clear();
    third.store.close();
    const { memory: empty, report: emptyReport } = await AgentMemory.open({ backend: new FileLog(path, { fsync: 'never' }) });
    expect(emptyReport.records).toEqual([]);
    expect(empty.size).toBe(0);
    empty.store.close();
  });
});
