import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPARISON_FILE, loadComparison } from '../../scripts/pretraining-comparison.ts';

const root = mkdtempSync(join(tmpdir(), 'umwelt-compare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the pretraining comparison kept beside the model card', () => {
  it('reads the shipped one: both arms at equal steps on the same episodes', () => {
    const c = loadComparison('models/planner');
    expect(c).not.toBeNull();
    expect(c!.pretrained.episodes).toBe(c!.scratch.episodes);
    expect(c!.pretrained.val.map(([step]) => step)).toEqual(c!.scratch.val.map(([step]) => step));
    expect(c!.pretrained.val.at(-1)![0]).toBe(c!.sftSteps);
    for (const arm of [c!.pretrained, c!.scratch]) {
      const rate = arm.successes / arm.episodes;
      expect(arm.successCi95.low).toBeLessThanOrEqual(rate);
      expect(arm.successCi95.high).toBeGreaterThanOrEqual(rate);
    }
  });

  it('is absent without the file, and a malformed file is an error that names it and the field', () => {
    expect(loadComparison(root)).toBeNull();
    const shipped = loadComparison('models/planner')!;
    writeFileSync(join(root, COMPARISON_FILE), JSON.stringify({ ...shipped, scratch: { ...shipped.scratch, successes: -1 } }));
    expect(() => loadComparison(root)).toThrow(/compare\.json: scratch\.successes/);
    writeFileSync(join(root, COMPARISON_FILE), JSON.stringify({ ...shipped, scratch: { ...shipped.scratch, episodes: 45 } }));
    expect(() => loadComparison(root)).toThrow(/not evaluated on as many episodes/);
    writeFileSync(join(root, COMPARISON_FILE), JSON.stringify({ ...shipped, extra: 1 }));
    expect(() => loadComparison(root)).toThrow(/compare\.json/);
    writeFileSync(join(root, COMPARISON_FILE), '{ not json');
    expect(() => loadComparison(root)).toThrow(/compare\.json/);
  });
});
