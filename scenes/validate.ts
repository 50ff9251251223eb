// Validation of scene, scenario and suite values: zod for the shape, then the checks that need the whole scene
// (ids, rooms, doorways, surfaces), and JSON text parsed with the position of a syntax error. Every problem becomes
// a ValidationIssue with a JSON path such as `$.furniture[2].size[1]`; bad input of any kind only ever throws
// ValidationError, listing all issues. No file access here (that is validate-file.ts): this runs in the browser too.
import type { z } from 'zod';
import { MAX_HOUSE_SPAN, type FurnitureDescription, type RoomDescription, type SceneDescription, type Vec2 } from '../sim/description.ts';
import { furnitureModel, isOpenable } from '../sim/furniture.ts';
import { doorwayOnSharedWall } from '../sim/walls.ts';
import { ScenarioSchema, type Scenario } from './scenario.ts';
import { SceneSpecSchema } from './spec.ts';
import { SuiteSchema, type Suite } from './suite.ts';

export type ValidationIssue = { path: string; message: string };

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly issues: ValidationIssue[],
    readonly file?: string,
  ) {
    const lines = issues.map((i) => `${i.path}: ${i.message}`);
    super(file === undefined ? lines.join('\n') : [`${file}:`, ...lines].join('\n'));
  }
}

type Segment = PropertyKey;

/** `$`, `$.rooms[0].id`, `$["odd key"]`. */
export function jsonPath(segments: readonly Segment[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a path, or undefined when the path does not exist. */
function valueAt(root: unknown, segments: readonly Segment[]): unknown {
  let v = root;
  for (const s of segments) {
    if (typeof s === 'symbol' || typeof v !== 'object' || v === null || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<string, unknown>)[String(s)];
  }
  return v;
}

// ---- zod issues -> ValidationIssues ----

/** Issues at a union's own level that mean "this branch is the wrong shape altogether". */
const SHAPE_MISMATCH = new Set(['invalid_type', 'unrecognized_keys', 'invalid_value', 'invalid_union']);

function convertIssue(issue: z.core.$ZodIssue, base: readonly Segment[], input: unknown, out: ValidationIssue[]): void {
  const path = [...base, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) out.push({ path: jsonPath([...path, key]), message: issue.message });
      return;
    case 'invalid_union': {
      // Report the nested issues of the one branch whose shape fits the input; otherwise the union's message.
      const fitting = issue.errors.filter((branch) => !branch.some((b) => b.path.length === 0 && SHAPE_MISMATCH.has(b.code)));
      const [only] = fitting;
      if (fitting.length === 1 && only && only.length > 0) {
        for (const nested of only) convertIssue(nested, path, input, out);
      } else {
        out.push({ path: jsonPath(path), message: issue.message });
      }
      return;
    }
    case 'invalid_type': {
      const parent = valueAt(input, path.slice(0, -1));
      const key = path[path.length - 1];
      if (isRecord(parent) && typeof key === 'string' && !Object.hasOwn(parent, key)) {
        out.push({ path: jsonPath(path), message: `missing required key "${key}" (expected ${issue.expected})` });
        return;
      }
      out.push({ path: jsonPath(path), message: issue.message });
      return;
    }
    default:
      out.push({ path: jsonPath(path), message: issue.message });
  }
}

function zodIssues(error: z.ZodError, input: unknown): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) convertIssue(issue, [], input, out);
  return out;
}

// ---- scene semantics ----

const EPS = 1e-6;
const fmt = (n: number): string => String(Number(n.toFixed(3)));
const fmtVec = (v: readonly number[]): string => `[${v.map(fmt).join(', ')}]`;

interface Rect {
  min: Vec2;
  max: Vec2;
}

function rectInRoom(r: Rect, room: RoomDescription): boolean {
  return (
    r.min[0] >= room.min[0] - EPS && r.max[0] <= room.max[0] + EPS && r.min[1] >= room.min[1] - EPS && r.max[1] <= room.max[1] + EPS
  );
}

function pointInRoom(p: Vec2, room: RoomDescription): boolean {
  return p[0] > room.min[0] && p[0] < room.max[0] && p[1] > room.min[1] && p[1] < room.max[1];
}

function rect(center: Vec2, halfX: number, halfZ: number): Rect {
  return { min: [center[0] - halfX, center[1] - halfZ], max: [center[0] + halfX, center[1] + halfZ] };
}

/** Furniture footprint on the floor: width along x and depth along z, swapped at yaw 90 and 270. */
function furnitureFootprint(f: FurnitureDescription): Rect {
  const [w, , d] = f.size;
  const turned = f.yaw === 90 || f.yaw === 270;
  return rect(f.position, (turned ? d : w) / 2, (turned ? w : d) / 2);
}

const describeRect = (r: Rect): string => `x ${fmt(r.min[0])}..${fmt(r.max[0])}, z ${fmt(r.min[1])}..${fmt(r.max[1])}`;

function listIds(ids: readonly string[], max = 12): string {
  if (ids.length === 0) return 'none';
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown}, … (${ids.length} in all)` : shown;
}

function sceneIssues(scene: SceneDescription): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const report = (path: readonly Segment[], message: string): void => {
    issues.push({ path: jsonPath(path), message });
  };

  // Rooms: unique ids, min < max, interiors disjoint.
  const roomById = new Map<string, { room: RoomDescription; index: number }>();
  const goodRooms: { room: RoomDescription; index: number }[] = [];
  scene.rooms.forEach((room, index) => {
    const first = roomById.get(room.id);
    if (first) report(['rooms', index, 'id'], `duplicate room id "${room.id}" (first used at ${jsonPath(['rooms', first.index, 'id'])})`);
    else roomById.set(room.id, { room, index });
    let ok = true;
    for (const axis of [0, 1] as const) {
      if (!(room.min[axis] < room.max[axis])) {
        report(['rooms', index, 'max', axis], `must be greater than min[${axis}] (${fmt(room.min[axis])})`);
        ok = false;
      }
    }
    if (!ok) return;
    for (const other of goodRooms) {
      const o = other.room;
      const overlaps =
        room.min[0] < o.max[0] - EPS && o.min[0] < room.max[0] - EPS && room.min[1] < o.max[1] - EPS && o.min[1] < room.max[1] - EPS;
      if (overlaps) report(['rooms', index], `room "${room.id}" overlaps room "${o.id}" (${jsonPath(['rooms', other.index])})`);
    }
    goodRooms.push({ room, index });
  });
  // The navigation grid covers the whole house at 10 cm: keep it to a house, not a city.
  if (scene.rooms.length > 0) {
    const span = (axis: 0 | 1): number =>
      Math.max(...scene.rooms.map((r) => r.max[axis])) - Math.min(...scene.rooms.map((r) => r.min[axis]));
    if (span(0) > MAX_HOUSE_SPAN || span(1) > MAX_HOUSE_SPAN) {
      report(['rooms'], `the rooms span ${fmt(span(0))} x ${fmt(span(1))} m; a house spans at most ${MAX_HOUSE_SPAN} m each way`);
    }
  }
  const roomIds = [...roomById.keys()];
  const roomContaining = (r: Rect): RoomDescription | undefined => goodRooms.find((g) => rectInRoom(r, g.room))?.room;
  const roomAtPoint = (p: Vec2): RoomDescription | undefined => goodRooms.find((g) => pointInRoom(p, g.room))?.room;

  // Doorways: between two different existing rooms, on their shared wall.
  scene.doorways.forEach((d, index) => {
    const [a, b] = d.between;
    const ra = roomById.get(a)?.room;
    const rb = roomById.get(b)?.room;
    if (!ra) report(['doorways', index, 'between', 0], `no room with id "${a}" (rooms: ${listIds(roomIds)})`);
    if (!rb) report(['doorways', index, 'between', 1], `no room with id "${b}" (rooms: ${listIds(roomIds)})`);
    if (a === b) report(['doorways', index, 'between'], `a doorway joins two different rooms, not "${a}" with itself`);
    else if (ra && rb && !doorwayOnSharedWall(d, ra, rb)) {
      report(
        ['doorways', index, 'at'],
        `a doorway ${fmt(d.width)} m wide at ${fmtVec(d.at)} does not lie on the wall shared by "${a}" and "${b}"`,
      );
    }
  });

  // Entity ids are one namespace across furniture, markers and objects.
  const entityPath = new Map<string, readonly Segment[]>();
  const claim = (id: string, path: readonly Segment[]): void => {
    const first = entityPath.get(id);
    if (first) report(path, `duplicate id "${id}" (first used at ${jsonPath(first)})`);
    else entityPath.set(id, path);
  };
  scene.furniture.forEach((f, i) => claim(f.id, ['furniture', i, 'id']));
  scene.markers.forEach((m, i) => claim(m.id, ['markers', i, 'id']));
  scene.objects.forEach((o, i) => claim(o.id, ['objects', i, 'id']));

  // Furniture and markers stand inside a room.
  const furnitureById = new Map<string, FurnitureDescription>();
  scene.furniture.forEach((f, i) => {
    if (!furnitureById.has(f.id)) furnitureById.set(f.id, f);
    const fp = furnitureFootprint(f);
    if (!roomContaining(fp)) report(['furniture', i, 'position'], `footprint (${describeRect(fp)}) is not inside any room`);
    if (f.openness !== undefined && !isOpenable(f.category)) {
      report(['furniture', i, 'openness'], `a ${f.category} cannot open; openness applies to cabinet, fridge and drawer`);
    }
    if (f.on !== undefined && !furnitureModel(f.category, f.size).switchable) {
      report(['furniture', i, 'on'], `a ${f.category} cannot be switched on; "on" applies to lamps`);
    }
  });
  const markerIds = new Set<string>();
  scene.markers.forEach((m, i) => {
    markerIds.add(m.id);
    const fp = rect(m.position, m.size[0] / 2, m.size[1] / 2);
    if (!roomContaining(fp)) report(['markers', i, 'position'], `footprint (${describeRect(fp)}) is not inside any room`);
  });
  const objectIds = new Set(scene.objects.map((o) => o.id));

  // Objects rest on or in an existing surface, or on the floor of a room.
  scene.objects.forEach((o, i) => {
    const base: Segment[] = ['objects', i, 'placement'];
    const p = o.placement;
    if ('floor' in p) {
      if (!roomAtPoint(p.floor)) report([...base, 'floor'], `${fmtVec(p.floor)} is not inside any room`);
      return;
    }
    const kind = 'in' in p ? 'in' : 'on';
    const owner = 'in' in p ? p.in : p.on;
    const level = p.level ?? 0;
    const furniture = furnitureById.get(owner);
    if (furniture) {
      const surfaces = furnitureModel(furniture.category, furniture.size).surfaces;
      if (surfaces.some((s) => s.kind === kind && s.level === level)) return;
      const offered = surfaces.map((s) => `${s.kind} level ${s.level}`).join(', ') || 'none';
      const hasKind = surfaces.some((s) => s.kind === kind);
      const at = hasKind ? [...base, 'level'] : [...base, kind];
      const what = hasKind ? `no "${kind}" surface at level ${level}` : `no "${kind}" surface`;
      report(at, `${furniture.category} "${owner}" has ${what} (it offers: ${offered})`);
    } else if (markerIds.has(owner)) {
      if (kind === 'in') report([...base, 'in'], `marker "${owner}" has nothing to be in; use "on" (it offers: on level 0)`);
      else if (level !== 0) report([...base, 'level'], `marker "${owner}" has no "on" surface at level ${level} (it offers: on level 0)`);
    } else if (objectIds.has(owner)) {
      report([...base, kind], `"${owner}" is an object; objects start on or in furniture or markers, or on the floor`);
    } else {
      const known = [...furnitureById.keys(), ...markerIds];
      report([...base, kind], `no furniture or marker with id "${owner}" (known: ${listIds(known)})`);
    }
  });

  if (!roomAtPoint(scene.agent.position)) {
    report(['agent', 'position'], `${fmtVec(scene.agent.position)} is not inside any room`);
  }
  return issues;
}

// ---- entry points for values ----

/** Validate a parsed scene file: shape, then scene semantics. Throws ValidationError listing every issue. */
export function validateScene(value: unknown, file?: string): SceneDescription {
  const parsed = SceneSpecSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error, value), file);
  const issues = sceneIssues(parsed.data);
  if (issues.length > 0) throw new ValidationError(issues, file);
  return parsed.data;
}

/** Validate a parsed scenario file; the result has its defaults applied. */
export function validateScenario(value: unknown, file?: string): Scenario {
  const parsed = ScenarioSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error, value), file);
  return parsed.data;
}

/** Validate a parsed suite file. */
export function validateSuite(value: unknown, file?: string): Suite {
  const parsed = SuiteSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error, value), file);
  return parsed.data;
}

// ---- JSON text ----

/** Where JSON.parse failed: a small scanner, so positions do not depend on the engine's message format. */
function locateJsonError(text: string): { offset: number; expected: string } | null {
  const n = text.length;
  const stack: ('array' | 'object')[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (expected: string) => ({ offset: i, expected });
  /** At a '"': consume a string, or return what was expected where it went wrong. */
  const scanString = (): string | null => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return 'a closing quote or an escaped character (control characters must be escaped)';
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else return 'a valid escape sequence';
      } else i++;
    }
    return 'a closing quote';
  };
  const number = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  /** After '{' or ',' in an object: a key and a colon. */
  const scanKey = (): string | null => {
    skipWs();
    if (text[i] !== '"') return 'a string key in double quotes';
    const bad = scanString();
    if (bad) return bad;
    skipWs();
    if (text[i] !== ':') return "':' after the key";
    i++;
    return null;
  };

  let expectValue = true;
  for (;;) {
    skipWs();
    if (expectValue) {
      const c = text[i];
      if (c === '{' || c === '[') {
        i++;
        skipWs();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          expectValue = false;
          continue;
        }
        stack.push(c === '{' ? 'object' : 'array');
        if (c === '{') {
          const bad = scanKey();
          if (bad) return fail(bad);
        }
        continue;
      }
      if (c === '"') {
        const bad = scanString();
        if (bad) return fail(bad);
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        number.lastIndex = i;
        const m = number.exec(text);
        if (!m) return fail('a number');
        i += m[0].length;
      } else {
        const literal = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
        if (!literal) return fail('a value');
        i += literal.length;
      }
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < n ? fail('the end of the text after the JSON value') : null;
    const close = top === 'array' ? ']' : '}';
    if (text[i] === close) {
      i++;
      stack.pop();
    } else if (text[i] === ',') {
      i++;
      expectValue = true;
      if (top === 'object') {
        const bad = scanKey();
        if (bad) return fail(bad);
      }
    } else return fail(`',' or '${close}'`);
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describeFound(text: string, offset: number): string {
  const cp = text.codePointAt(offset);
  return cp === undefined ? 'the end of the text' : JSON.stringify(String.fromCodePoint(cp));
}

/** Parse JSON text; a syntax error becomes a ValidationError at `$` with its line and column. */
export function parseJsonFile(text: string, file?: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    const where = locateJsonError(body);
    if (!where) {
      const why = e instanceof Error ? e.message : String(e);
      throw new ValidationError([{ path: '$', message: `invalid JSON: ${why}` }], file);
    }
    const { line, column } = lineColumn(body, where.offset);
    const found = describeFound(body, where.offset);
    const message = `invalid JSON at line ${line}, column ${column}: expected ${where.expected}, found ${found}`;
    throw new ValidationError([{ path: '$', message }], file);
  }
}
