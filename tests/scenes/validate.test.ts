// Scene and scenario validation: exact paths and messages for bad input, files, and fuzzing (only
// ValidationError ever comes out, and what passes validates again).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SceneDescription } from '../../sim/description.ts';
import { World } from '../../sim/world.ts';
import { MAX_FILE_BYTES, validateFile } from '../../scenes/validate-file.ts';
import {
  ValidationError,
  jsonPath,
  parseJsonFile,
  validateScenario,
  validateScene,
  type ValidationIssue,
} from '../../scenes/validate.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const validScene = (): SceneDescription => ({
  version: 1,
  name: 'two rooms',
  rooms: [
    { id: 'kitchen', type: 'kitchen', min: [0, 0], max: [5, 4] },
    { id: 'living_room', type: 'living_room', min: [5, 0], max: [10, 4] },
  ],
  doorways: [{ between: ['kitchen', 'living_room'], at: [5, 2], width: 1 }],
  furniture: [
    { id: 'table_1', category: 'table', color: 'white', position: [2.5, 2], yaw: 0, size: [1.2, 0.75, 0.8] },
    { id: 'cabinet_1', category: 'cabinet', color: 'white', position: [1, 0.3], yaw: 0, size: [0.8, 0.9, 0.5], openness: 0 },
    { id: 'shelf_1', category: 'shelf', color: 'black', position: [9.8, 2], yaw: 270, size: [1.0, 1.6, 0.35] },
  ],
  markers: [{ id: 'mat_1', category: 'mat', color: 'green', position: [8, 3], size: [0.6, 0.6] }],
  objects: [
    { id: 'mug_1', category: 'mug', color: 'red', shape: 'cylinder', size: [0.08, 0.1, 0.08], mass: 0.3, placement: { on: 'table_1', at: [0.3, 0.2] } },
    { id: 'apple_1', category: 'apple', color: 'green', shape: 'sphere', size: [0.08, 0.08, 0.08], mass: 0.2, placement: { in: 'cabinet_1' } },
    { id: 'book_1', category: 'book', color: 'blue', shape: 'box', size: [0.15, 0.04, 0.22], mass: 0.5, placement: { on: 'shelf_1', level: 1 } },
    { id: 'ball_1', category: 'ball', color: 'yellow', shape: 'sphere', size: [0.1, 0.1, 0.1], mass: 0.1, placement: { on: 'mat_1' } },
    { id: 'box_1', category: 'box', color: 'purple', shape: 'box', size: [0.2, 0.2, 0.2], mass: 1, placement: { floor: [6, 1] } },
  ],
  agent: { position: [3, 3], yaw: 0 },
});

const validScenario = { version: 1, name: 'smoke', families: ['goto', 'open'], seeds: { start: 0, count: 5 } };

/** The issues a validation throws; fails the test when it passes or throws anything else. */
function issuesOf(run: () => unknown): ValidationIssue[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

function expectIssue(issues: ValidationIssue[], path: string, fragment: string): void {
  const hit = issues.find((i) => i.path === path && i.message.includes(fragment));
  expect(hit, `no issue at ${path} containing "${fragment}" in:\n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`).toBeDefined();
}

/** A copy of the valid scene as plain JSON, changed by `edit`. */
function sceneWith(edit: (s: Record<string, Json>) => void): unknown {
  const s = JSON.parse(JSON.stringify(validScene())) as Record<string, Json>;
  edit(s);
  return s;
}

/** Navigate the JSON copy by path segments (for edits): the object, or the array, at the path. */
function walk(root: Json, path: readonly (string | number)[]): Json {
  let v: Json = root;
  for (const k of path) v = (v as Record<string, Json>)[k] as Json;
  return v;
}
const at = (root: Json, ...path: (string | number)[]): Record<string, Json> => walk(root, path) as Record<string, Json>;
const arr = (root: Json, ...path: (string | number)[]): Json[] => walk(root, path) as Json[];

describe('validateScene: valid input', () => {
  it('accepts the example scene and returns it unchanged', () => {
    expect(validateScene(validScene())).toEqual(validScene());
  });

  it('accepts a scene the World builds', () => {
    const world = new World(validateScene(validScene()));
    expect(world.entityList.map((e) => e.id)).toContain('book_1');
  });

  it('accepts the example as JSON text', () => {
    expect(validateScene(parseJsonFile(JSON.stringify(validScene(), null, 2)))).toEqual(validScene());
  });
});

describe('validateScene: bad input', () => {
  const cases: [string, (s: Record<string, Json>) => void, string, string][] = [
    ['wrong version', (s) => (s.version = 2), '$.version', 'expected 1'],
    ['negative size', (s) => (arr(s, 'furniture', 0, 'size')[1] = -0.5), '$.furniture[0].size[1]', 'Too small'],
    ['unknown furniture category', (s) => (at(s, 'furniture', 1).category = 'chair'), '$.furniture[1].category', '"table"|"counter"|"shelf"|"cabinet"|"drawer"|"fridge"|"sofa"|"bed"|"lamp"'],
    ['bad id', (s) => (at(s, 'objects', 0).id = 'Mug 1'), '$.objects[0].id', 'must be an id'],
    ['bad yaw', (s) => (at(s, 'furniture', 0).yaw = 45), '$.furniture[0].yaw', 'must be one of 0, 90, 180, 270'],
    ['duplicate id', (s) => (at(s, 'objects', 2).id = 'cabinet_1'), '$.objects[2].id', 'duplicate id "cabinet_1" (first used at $.furniture[1].id)'],
    ['duplicate room id', (s) => (at(s, 'rooms', 1).id = 'kitchen'), '$.rooms[1].id', 'duplicate room id "kitchen"'],
    ['placement on unknown furniture', (s) => (at(s, 'objects', 0).placement = { on: 'ghost_1' }), '$.objects[0].placement.on', 'no furniture or marker with id "ghost_1"'],
    ['placement on an object', (s) => (at(s, 'objects', 0).placement = { on: 'apple_1' }), '$.objects[0].placement.on', '"apple_1" is an object'],
    ['in a table', (s) => (at(s, 'objects', 0).placement = { in: 'table_1' }), '$.objects[0].placement.in', 'table "table_1" has no "in" surface (it offers: on level 0)'],
    ['in a mat', (s) => (at(s, 'objects', 3).placement = { in: 'mat_1' }), '$.objects[3].placement.in', 'marker "mat_1"'],
    ['shelf level that does not exist', (s) => (at(s, 'objects', 2).placement = { on: 'shelf_1', level: 7 }), '$.objects[2].placement.level', 'no "on" surface at level 7 (it offers: on level 0, on level 1, on level 2, on level 3)'],
    ['cabinet level that does not exist', (s) => (at(s, 'objects', 1).placement = { in: 'cabinet_1', level: 1 }), '$.objects[1].placement.level', 'it offers: in level 0, on level 0'],
    ['level out of range', (s) => (at(s, 'objects', 2).placement = { on: 'shelf_1', level: 11 }), '$.objects[2].placement.level', 'Too big'],
    ['fractional level', (s) => (at(s, 'objects', 2).placement = { on: 'shelf_1', level: 1.5 }), '$.objects[2].placement.level', 'expected int'],
    ['at outside [-1, 1]', (s) => (at(s, 'objects', 0).placement = { on: 'table_1', at: [0, 1.5] }), '$.objects[0].placement.at[1]', 'Too big'],
    ['placement with two kinds', (s) => (at(s, 'objects', 0).placement = { on: 'table_1', in: 'cabinet_1' }), '$.objects[0].placement', 'expected exactly one of on, in, floor'],
    ['empty placement', (s) => (at(s, 'objects', 0).placement = {}), '$.objects[0].placement', 'expected exactly one of on, in, floor'],
    ['placement id of the wrong type', (s) => (at(s, 'objects', 0).placement = { on: 3 }), '$.objects[0].placement.on', 'expected string'],
    ['floor outside every room', (s) => (at(s, 'objects', 4).placement = { floor: [-3, 1] }), '$.objects[4].placement.floor', 'not inside any room'],
    ['doorway not on a shared wall', (s) => (at(s, 'doorways', 0).at = [4, 2]), '$.doorways[0].at', 'does not lie on the wall shared by "kitchen" and "living_room"'],
    ['doorway wider than the wall', (s) => (at(s, 'doorways', 0).at = [5, 3.8]), '$.doorways[0].at', 'does not lie on the wall'],
    ['doorway too narrow', (s) => (at(s, 'doorways', 0).width = 0.3), '$.doorways[0].width', 'Too small'],
    ['doorway to an unknown room', (s) => (at(s, 'doorways', 0).between = ['kitchen', 'garage']), '$.doorways[0].between[1]', 'no room with id "garage" (rooms: kitchen, living_room)'],
    ['doorway from a room to itself', (s) => (at(s, 'doorways', 0).between = ['kitchen', 'kitchen']), '$.doorways[0].between', 'two different rooms'],
    ['furniture outside every room', (s) => (at(s, 'furniture', 0).position = [20, 2]), '$.furniture[0].position', 'not inside any room'],
    ['furniture across two rooms', (s) => (at(s, 'furniture', 0).position = [5, 2]), '$.furniture[0].position', 'not inside any room'],
    ['furniture turned into the wall', (s) => (at(s, 'furniture', 2).yaw = 0), '$.furniture[2].position', 'x 9.3..10.3'],
    ['marker outside every room', (s) => (at(s, 'markers', 0).position = [9.9, 3]), '$.markers[0].position', 'not inside any room'],
    ['openness on a table', (s) => (at(s, 'furniture', 0).openness = 0.5), '$.furniture[0].openness', 'cannot open'],
    ['openness out of range', (s) => (at(s, 'furniture', 1).openness = 2), '$.furniture[1].openness', 'Too big'],
    ['a table switched on', (s) => (at(s, 'furniture', 0).on = true), '$.furniture[0].on', 'lamps'],
    ['overlapping rooms', (s) => (at(s, 'rooms', 1).min = [4, 0]), '$.rooms[1]', 'overlaps room "kitchen"'],
    ['empty room', (s) => (at(s, 'rooms', 0).max = [0, 4]), '$.rooms[0].max[0]', 'must be greater than min[0]'],
    ['agent outside every room', (s) => (at(s, 'agent').position = [3, 7]), '$.agent.position', 'not inside any room'],
    ['unknown key', (s) => (at(s, 'furniture', 0).colour = 'red'), '$.furniture[0].colour', 'unknown key (allowed keys: id, category, color'],
    ['unknown top-level key', (s) => (s['robot'] = {}), '$.robot', 'unknown key'],
    ['missing key', (s) => delete s.agent, '$.agent', 'missing required key "agent"'],
    ['mass zero', (s) => (at(s, 'objects', 0).mass = 0), '$.objects[0].mass', 'Too small'],
    ['a house too big to navigate', (s) => (at(s, 'rooms', 1).max = [400, 4]), '$.rooms', 'at most 100 m'],
    ['object too big', (s) => (at(s, 'objects', 0).size = [1.5, 0.1, 0.1]), '$.objects[0].size[0]', 'Too big'],
    ['unknown color', (s) => (at(s, 'objects', 0).color = 'pink'), '$.objects[0].color', '"red"'],
    ['not an object', (s) => (arr(s, 'rooms')[0] = 'kitchen'), '$.rooms[0]', 'expected object'],
  ];

  it.each(cases)('%s', (_label, edit, path, fragment) => {
    const issues = issuesOf(() => validateScene(sceneWith(edit)));
    expectIssue(issues, path, fragment);
  });

  it('collects every issue, not just the first', () => {
    const issues = issuesOf(() =>
      validateScene(
        sceneWith((s) => {
          at(s, 'objects', 0).placement = { on: 'ghost_1' };
          at(s, 'objects', 1).placement = { in: 'table_1' };
          at(s, 'agent').position = [50, 50];
        }),
      ),
    );
    expect(issues.map((i) => i.path)).toEqual(['$.objects[0].placement.on', '$.objects[1].placement.in', '$.agent.position']);
  });

  it('lists every issue in the message, one per line', () => {
    try {
      validateScene(sceneWith((s) => ((s.version = 3), delete s.rooms)));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).message.split('\n')).toEqual([
        '$.version: Invalid input: expected 1',
        '$.rooms: missing required key "rooms" (expected array)',
      ]);
    }
  });
});

describe('validateScenario', () => {
  it('applies defaults', () => {
    expect(validateScenario(validScenario)).toEqual({ ...validScenario, split: 'test', maxSteps: 40, planner: 'oracle' });
  });

  it.each([
    ['unknown family', { families: ['goto', 'fly'] }, '$.families[1]', '"pickup"'],
    ['families neither list nor all', { families: 'most' }, '$.families', 'expected "all" or a non-empty list'],
    ['duplicate families', { families: ['goto', 'goto'] }, '$.families', 'unique'],
    ['negative seed start', { seeds: { start: -1, count: 2 } }, '$.seeds.start', 'Too small'],
    ['duplicate seeds', { seeds: [3, 3] }, '$.seeds', 'unique'],
    ['seeds past the end of the split', { seeds: { start: 999_999, count: 2 } }, '$.seeds.count', 'size of a split'],
    ['a seed index outside the split', { seeds: [1_000_000] }, '$.seeds[0]', 'Too big'],
    ['empty seed list', { seeds: [] }, '$.seeds', 'Too small'],
    ['seeds of the wrong shape', { seeds: 'many' }, '$.seeds', 'expected {"start": N, "count": N}'],
    ['unknown seed key', { seeds: { start: 0, count: 1, step: 2 } }, '$.seeds.step', 'unknown key'],
    ['maxSteps too big', { maxSteps: 5000 }, '$.maxSteps', 'Too big'],
    ['unknown planner', { planner: 'gpt' }, '$.planner', '"oracle"|"random"'],
    ['unknown split', { split: 'dev' }, '$.split', '"train"|"test"|"heldout"'],
    ['wrong version', { version: '1' }, '$.version', 'expected 1'],
  ])('%s', (_label, extra, path, fragment) => {
    expectIssue(issuesOf(() => validateScenario({ ...validScenario, ...extra })), path, fragment);
  });
});

describe('parseJsonFile', () => {
  it('reports a syntax error at $ with its line and column', () => {
    const text = '{\n  "version": 1,\n  "rooms": [,]\n}';
    const issues = issuesOf(() => parseJsonFile(text, 'x.json'));
    expect(issues).toHaveLength(1);
    expectIssue(issues, '$', 'line 3, column 13');
  });

  it.each([
    ['', 'line 1, column 1'],
    ['{"a": 1,}', 'line 1, column 9'],
    ['[1, 2', 'line 1, column 6'],
    ['{"a": "b\nc"}', 'line 1, column 9'],
    ['{}\n\n  x', 'line 3, column 3'],
    ["{'a': 1}", 'line 1, column 2'],
  ])('locates the error in %j', (text, where) => {
    expectIssue(issuesOf(() => parseJsonFile(text)), '$', where);
  });

  it('accepts a byte order mark', () => {
    expect(parseJsonFile('\uFEFF{"a": 1}')).toEqual({ a: 1 });
  });
});

describe('validateFile', () => {
  let dir = '';
  const write = (name: string, content: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'umwelt-validate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tells scenes from scenarios', () => {
    expect(validateFile(write('scene.json', JSON.stringify(validScene())))).toEqual({ kind: 'scene', value: validScene() });
    const result = validateFile(write('scenario.json', JSON.stringify(validScenario)));
    expect(result.kind).toBe('scenario');
    expect(result.value).toMatchObject({ planner: 'oracle' });
  });

  const failure = (path: string): ValidationError => {
    try {
      validateFile(path);
    } catch (e) {
      if (e instanceof ValidationError) return e;
      throw e;
    }
    throw new Error('expected a ValidationError');
  };

  it('names the file and the path of each issue', () => {
    const path = write('bad-scene.json', JSON.stringify({ ...validScene(), version: 2 }));
    const err = failure(path);
    expect(err.file).toBe(path);
    expect(err.message).toBe(`${path}:\n$.version: Invalid input: expected 1`);
  });

  it.each([
    ['a file that is neither kind', () => write('neither.json', '{"version": 1, "name": "x"}'), 'neither a scene'],
    ['an array', () => write('array.json', '[1, 2]'), 'a scenario has "families" or "seeds", a scene has "rooms"'],
    ['a missing file', () => join(dir, 'missing.json'), 'file not found'],
    ['a directory', () => (mkdirSync(join(dir, 'sub'), { recursive: true }), join(dir, 'sub')), 'is a directory'],
    ['invalid UTF-8', () => write('latin1.json', new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d])), 'not valid UTF-8'],
    ['a JSON syntax error', () => write('syntax.json', '{\n"rooms": [\n}'), 'line 3, column 1'],
    ['a file over 10 MB', () => write('huge.json', ' '.repeat(MAX_FILE_BYTES + 1)), 'too large'],
  ])('rejects %s', (_label, makePath, fragment) => {
    const path = makePath();
    const err = failure(path);
    expect(err.file).toBe(path);
    expectIssue(err.issues, '$', fragment);
  });

  it('random file contents give a result or a ValidationError naming the file', () => {
    const path = join(dir, 'random.json');
    const contents = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
    );
    fc.assert(
      fc.property(contents, (bytes) => {
        writeFileSync(path, bytes);
        try {
          validateFile(path);
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          expect((e as ValidationError).file).toBe(path);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('jsonPath', () => {
  it('writes identifiers with dots and other keys quoted', () => {
    expect(jsonPath([])).toBe('$');
    expect(jsonPath(['furniture', 2, 'size', 1])).toBe('$.furniture[2].size[1]');
    expect(jsonPath(['a b', 'ok'])).toBe('$["a b"].ok');
  });
});

// ---- fuzzing ----

const PATH_SHAPE = /^\$(\.[A-Za-z_$][A-Za-z0-9_$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*$/;

/** Run a validation: it returns, or throws a ValidationError with well-formed issues. */
function returnsOrValidationError<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    expect(e.issues.length).toBeGreaterThan(0);
    for (const issue of e.issues) {
      expect(issue.path).toMatch(PATH_SHAPE);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return undefined;
  }
}

/** Every container path and leaf path of a JSON value. */
function paths(value: Json, prefix: (string | number)[] = [], out: { path: (string | number)[]; value: Json }[] = []) {
  out.push({ path: prefix, value });
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

type Mutation =
  | { kind: 'delete'; pick: number }
  | { kind: 'replace'; pick: number; value: Json }
  | { kind: 'duplicate'; pick: number; index: number }
  | { kind: 'nudge'; pick: number; factor: number }
  | { kind: 'copy'; pick: number; from: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat(), index: fc.nat() }),
  // Milder changes, so that some mutants stay valid: scale a number, or copy another leaf of the same type.
  fc.record({ kind: fc.constant('nudge' as const), pick: fc.nat(), factor: fc.double({ min: 0.8, max: 1.2, noNaN: true }) }),
  fc.record({ kind: fc.constant('copy' as const), pick: fc.nat(), from: fc.nat() }),
);

function mutate(root: Json, m: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json;
  const all = paths(copy);
  const choose = <T>(items: T[]): T | undefined => items[m.pick % Math.max(1, items.length)];
  const leaves = all.filter((p) => p.path.length > 0 && (p.value === null || typeof p.value !== 'object'));
  const setLeaf = (path: (string | number)[], value: Json): void => {
    at(copy, ...path.slice(0, -1))[path[path.length - 1] as string] = value;
  };
  if (m.kind === 'delete') {
    const target = choose(all.filter((p) => p.path.length > 0 && typeof p.path[p.path.length - 1] === 'string'));
    if (target) delete at(copy, ...target.path.slice(0, -1))[target.path[target.path.length - 1] as string];
  } else if (m.kind === 'replace') {
    const target = choose(leaves);
    if (target) setLeaf(target.path, m.value);
  } else if (m.kind === 'nudge') {
    const target = choose(leaves.filter((p) => typeof p.value === 'number'));
    if (target) setLeaf(target.path, (target.value as number) * m.factor);
  } else if (m.kind === 'copy') {
    const target = choose(leaves);
    const similar = leaves.filter((p) => typeof p.value === typeof target?.value);
    const source = similar[m.from % Math.max(1, similar.length)];
    if (target && source) setLeaf(target.path, source.value);
  } else {
    const target = choose(all.filter((p) => Array.isArray(p.value) && p.value.length > 0));
    if (target && Array.isArray(target.value)) {
      const i = m.index % target.value.length;
      target.value.splice(i, 0, JSON.parse(JSON.stringify(target.value[i])) as Json);
    }
  }
  return copy;
}

describe('fuzzing', () => {
  const validators = [validateScene, validateScenario] as const;

  it('arbitrary JSON values give a result or a ValidationError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const validate of validators) returnsOrValidationError(() => validate(value));
      }),
      { numRuns: 400 },
    );
  });

  it('objects with the right keys and arbitrary values give a result or a ValidationError', () => {
    const loose = fc.jsonValue({ maxDepth: 3 });
    const sceneLike = fc.record(
      { version: fc.oneof(fc.constant(1), loose), rooms: loose, doorways: loose, furniture: loose, markers: loose, objects: loose, agent: loose },
      { requiredKeys: [] },
    );
    const scenarioLike = fc.record(
      { version: fc.constant(1), name: loose, families: loose, seeds: loose, split: loose, maxSteps: loose, planner: loose, episodes: loose },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(sceneLike, scenarioLike), (value) => {
        for (const validate of validators) returnsOrValidationError(() => validate(value));
      }),
      { numRuns: 300 },
    );
  });

  it('mutations of the valid scene give a ValidationError, or a scene that validates again and builds', () => {
    const base = JSON.parse(JSON.stringify(validScene())) as Json;
    const outcomes = { passed: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (mutations) => {
        const value = mutations.reduce(mutate, base);
        const result = returnsOrValidationError(() => validateScene(value));
        if (result === undefined) outcomes.rejected++;
        else {
          outcomes.passed++;
          expect(validateScene(structuredClone(result))).toEqual(result);
          expect(() => new World(result)).not.toThrow();
        }
      }),
      { numRuns: 500 },
    );
    // Both branches of the property are exercised.
    expect(outcomes.passed).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  it('mutations of a valid scenario give a ValidationError or a scenario', () => {
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (mutations) => {
        const value = mutations.reduce(mutate, validScenario as Json);
        const result = returnsOrValidationError(() => validateScenario(value));
        if (result !== undefined) expect(validateScenario(result)).toEqual(result);
      }),
      { numRuns: 300 },
    );
  });

  const parseAndValidate = (text: string): void => {
    const value = returnsOrValidationError(() => parseJsonFile(text));
    if (value !== undefined) for (const validate of validators) returnsOrValidationError(() => validate(value));
  };

  it('random bytes give a ValidationError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        parseAndValidate(new TextDecoder().decode(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('every JSON syntax error is located by line and column', () => {
    const text = JSON.stringify(validScene(), null, 2);
    const edits = fc.oneof(
      fc.nat({ max: text.length - 1 }).map((n) => text.slice(0, n)),
      fc.tuple(fc.nat({ max: text.length }), fc.string({ maxLength: 2 })).map(([n, s]) => text.slice(0, n) + s + text.slice(n)),
      fc.tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 3 })).map(([n, k]) => text.slice(0, n) + text.slice(n + k)),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(edits, (t) => {
        let syntaxOk = true;
        try {
          JSON.parse(t);
        } catch {
          syntaxOk = false;
        }
        if (syntaxOk) return parseAndValidate(t);
        const issues = issuesOf(() => parseJsonFile(t));
        expect(issues).toHaveLength(1);
        expect(issues[0]?.path).toBe('$');
        const m = /line (\d+), column (\d+)/.exec(issues[0]?.message ?? '');
        expect(m, issues[0]?.message).not.toBeNull();
        expect(Number(m?.[1])).toBeLessThanOrEqual(t.split('\n').length);
      }),
      { numRuns: 500 },
    );
  });
});
