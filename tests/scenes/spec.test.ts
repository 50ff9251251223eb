// The zod schemas of the scene and scenario formats, scenario expansion, and the committed JSON Schemas.
import { readFileSync } from 'node:fs';
import { SPLIT_BASE } from '../../scenes/splits.ts';
import { describe, expect, it } from 'vitest';
import type { SceneDescription } from '../../sim/description.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import {
  SCENARIO_SCHEMA_FILE,
  SUITE_SCHEMA_FILE,
  suiteJsonSchema,
  SCENE_SCHEMA_FILE,
  scenarioJsonSchema,
  sceneJsonSchema,
  schemaText,
} from '../../scenes/json-schema.ts';
import { ScenarioSchema, scenarioEpisodes, scenarioSeeds, type Scenario } from '../../scenes/scenario.ts';
import { ID_PATTERN, SCENE_KEYS, SceneSpecSchema } from '../../scenes/spec.ts';

const scene: SceneDescription = {
  version: 1,
  name: 'spec example',
  rooms: [
    { id: 'kitchen', type: 'kitchen', min: [0, 0], max: [5, 4] },
    { id: 'living_room', type: 'living_room', min: [5, 0], max: [10, 4] },
  ],
  doorways: [{ between: ['kitchen', 'living_room'], at: [5, 2], width: 1 }],
  furniture: [{ id: 'table_1', category: 'table', color: 'white', position: [2.5, 2], yaw: 0, size: [1.2, 0.75, 0.8] }],
  markers: [{ id: 'mat_1', category: 'mat', color: 'green', position: [8, 3], size: [0.6, 0.6] }],
  objects: [
    {
      id: 'mug_1',
      category: 'mug',
      color: 'red',
      shape: 'cylinder',
      size: [0.08, 0.1, 0.08],
      mass: 0.3,
      placement: { on: 'table_1', at: [0.3, 0.2] },
    },
  ],
  agent: { position: [3, 3], yaw: 0 },
};

const scenario = (extra: Record<string, unknown> = {}): Scenario =>
  ScenarioSchema.parse({ version: 1, name: 'smoke', families: ['goto', 'pickup'], seeds: { start: 10, count: 3 }, ...extra });

describe('SceneSpecSchema', () => {
  it('accepts a scene and returns an equal copy', () => {
    const parsed = SceneSpecSchema.parse(scene);
    expect(parsed).toEqual(scene);
    expect(parsed).not.toBe(scene);
  });

  it('lists the SceneDescription keys', () => {
    expect(SCENE_KEYS).toEqual(['version', 'name', 'rooms', 'doorways', 'furniture', 'markers', 'objects', 'agent']);
  });

  it('rejects unknown keys, non-finite numbers and out-of-range values', () => {
    expect(SceneSpecSchema.safeParse({ ...scene, extra: 1 }).success).toBe(false);
    expect(SceneSpecSchema.safeParse({ ...scene, agent: { position: [Infinity, 0], yaw: 0 } }).success).toBe(false);
    expect(SceneSpecSchema.safeParse({ ...scene, agent: { position: [1, Number.NaN], yaw: 0 } }).success).toBe(false);
    const tooBig = structuredClone(scene);
    tooBig.furniture[0]!.size = [6, 1, 1];
    expect(SceneSpecSchema.safeParse(tooBig).success).toBe(false);
    const heavy = structuredClone(scene);
    heavy.objects[0]!.mass = 0;
    expect(SceneSpecSchema.safeParse(heavy).success).toBe(false);
  });

  it('explains a placement that is none of on, in, floor', () => {
    const bad = structuredClone(scene) as unknown as { objects: { placement: unknown }[] };
    bad.objects[0]!.placement = { under: 'table_1' };
    const result = SceneSpecSchema.safeParse(bad);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('expected exactly one of on, in, floor');
  });

  it('ids follow the action grammar', () => {
    for (const ok of ['a', 'table_1', `a${'b'.repeat(63)}`]) expect(ID_PATTERN.test(ok)).toBe(true);
    for (const bad of ['', '1a', 'Table', 'a-b', 'a b', `a${'b'.repeat(64)}`]) expect(ID_PATTERN.test(bad)).toBe(false);
  });
});

describe('ScenarioSchema', () => {
  it('applies defaults', () => {
    const s = scenario();
    expect(s).toEqual({
      version: 1,
      name: 'smoke',
      families: ['goto', 'pickup'],
      seeds: { start: 10, count: 3 },
      split: 'test',
      maxSteps: 40,
      planner: 'oracle',
    });
  });

  it('keeps given values', () => {
    const s = scenario({ split: 'heldout', maxSteps: 7, planner: 'random', episodes: 2, description: 'd' });
    expect([s.split, s.maxSteps, s.planner, s.episodes, s.description]).toEqual(['heldout', 7, 'random', 2, 'd']);
  });

  it.each([
    ['empty families', { families: [] }],
    ['duplicate families', { families: ['goto', 'goto'] }],
    ['unknown family', { families: ['fly'] }],
    ['families neither list nor "all"', { families: 'some' }],
    ['negative seed', { seeds: [-1] }],
    ['duplicate seeds', { seeds: [1, 1] }],
    ['empty seed list', { seeds: [] }],
    ['zero count', { seeds: { start: 0, count: 0 } }],
    ['fractional start', { seeds: { start: 0.5, count: 1 } }],
    ['too many seeds', { seeds: { start: 0, count: 100_001 } }],
    ['maxSteps 0', { maxSteps: 0 }],
    ['maxSteps too big', { maxSteps: 1001 }],
    ['unknown planner', { planner: 'gpt' }],
    ['episodes 0', { episodes: 0 }],
    ['wrong version', { version: 2 }],
    ['unknown key', { seed: 1 }],
  ])('rejects %s', (_label, extra) => {
    expect(() => scenario(extra)).toThrow();
  });
});

describe('scenarioEpisodes', () => {
  it('is family-major with a seed range ascending, seeds made absolute within the split', () => {
    const base = SPLIT_BASE[scenario().split];
    expect(scenarioEpisodes(scenario())).toEqual([
      { family: 'goto', seed: base + 10 },
      { family: 'goto', seed: base + 11 },
      { family: 'goto', seed: base + 12 },
      { family: 'pickup', seed: base + 10 },
      { family: 'pickup', seed: base + 11 },
      { family: 'pickup', seed: base + 12 },
    ]);
    expect(scenarioEpisodes(scenario({ split: 'train' }))[0]).toEqual({ family: 'goto', seed: 10 });
  });

  it('keeps the families and a seed list in the order given', () => {
    const s = scenario({ families: ['open', 'goto'], seeds: [7, 3, 5] });
    expect(scenarioSeeds(s)).toEqual([7, 3, 5]);
    expect(scenarioEpisodes(s).map((e) => `${e.family}:${e.seed - SPLIT_BASE[s.split]}`)).toEqual([
      'open:7', 'open:3', 'open:5', 'goto:7', 'goto:3', 'goto:5',
    ]);
  });

  it('expands "all" in FAMILY_NAMES order and caps episodes per family', () => {
    const s = scenario({ families: 'all', seeds: { start: 0, count: 100 }, episodes: 2 });
    const episodes = scenarioEpisodes(s);
    expect(episodes).toHaveLength(FAMILY_NAMES.length * 2);
    expect(episodes.filter((_, i) => i % 2 === 0).map((e) => e.family)).toEqual([...FAMILY_NAMES]);
    expect(new Set(episodes.map((e) => e.seed - SPLIT_BASE[s.split]))).toEqual(new Set([0, 1]));
  });

  it('is deterministic', () => {
    const s = scenario({ families: 'all', seeds: [4, 2] });
    expect(scenarioEpisodes(s)).toEqual(scenarioEpisodes(s));
  });
});

describe('JSON Schemas', () => {
  const committed = (name: string): string => readFileSync(new URL(`../../scenes/schema/${name}`, import.meta.url), 'utf8');

  it('the committed files are what the zod schemas produce now', () => {
    expect(committed(SCENE_SCHEMA_FILE)).toBe(schemaText(sceneJsonSchema()));
    expect(committed(SCENARIO_SCHEMA_FILE)).toBe(schemaText(scenarioJsonSchema()));
    expect(committed(SUITE_SCHEMA_FILE)).toBe(schemaText(suiteJsonSchema()));
  });

  it('are draft 2020-12 with an id, a title and closed objects', () => {
    for (const schema of [sceneJsonSchema(), scenarioJsonSchema(), suiteJsonSchema()]) {
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(typeof schema.$id).toBe('string');
      expect(typeof schema.title).toBe('string');
      expect(schema.additionalProperties).toBe(false);
    }
    expect(scenarioJsonSchema().required).toEqual(['version', 'name', 'families', 'seeds']);
  });
});
