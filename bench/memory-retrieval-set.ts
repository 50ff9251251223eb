// The memory-retrieval benchmark, built from the simulator. Per house: an agent tours every piece of furniture
// (opening and closing containers, with a few deliberate bad actions on the way), then the oracle solves the task,
// which moves things. Everything the agent perceives and does is written as memory texts, the way an agent
// would: sightings (on change), container states and contents, room entries, action outcomes, the task. Queries
// with their relevant memory ids: where an object was LAST seen (older sightings are distractors), what a
// container holds, which containers a room has, what failed and why. Deterministic in (family, seed).
import { runEpisode } from '../agent/loop.ts';
import type { Decision, EpisodeInfo, HistoryEntry, Planner, PlannerContext } from '../agent/planner.ts';
import { OraclePlanner } from '../agent/planners/oracle.ts';
import { formatAction } from '../agent/grammar.ts';
import type { Embedder } from '../memory/types.ts';
import { familyEnv } from '../scenes/env.ts';
import type { FamilyName } from '../scenes/family-names.ts';
import type { Env } from '../sim/env.ts';
import { Rng } from '../sim/rng.ts';
import { ROBOT } from '../sim/robot.ts';
import type { Action, Observation, Outcome, SeenEntity } from '../sim/types.ts';

export type QueryKind = 'object' | 'container' | 'room' | 'failure';
export const QUERY_KINDS: readonly QueryKind[] = ['object', 'container', 'room', 'failure'];

export type MemoryTextKind = 'task' | 'room' | 'sighting' | 'container' | 'outcome' | 'failure';

export interface RetrievalMemory {
  id: string;
  text: string;
  kind: MemoryTextKind;
}

export interface RetrievalQuery {
  text: string;
  /** Ids of the memories that answer it (within the same house): the union of `groups`. */
  relevant: string[];
  /** The distinct answers: a group is found when any of its memories is retrieved (one group for "where is the
   *  red mug"; one per failure for "what failed"; one per container for "which containers are in the kitchen"). */
  groups: string[][];
  kind: QueryKind;
}

function query(kind: QueryKind, text: string, groups: string[][]): RetrievalQuery {
  return { text, relevant: [...new Set(groups.flat())], groups, kind };
}

/** One house: retrieval happens within its memories only. */
export interface RetrievalHouse {
  key: string;
  family: FamilyName;
  seed: number;
  memories: RetrievalMemory[];
  queries: RetrievalQuery[];
  /** Whether the oracle finished the task after the tour, and the episode's steps. */
  success: boolean;
  steps: number;
}

export interface EpisodeRef {
  family: FamilyName;
  seed: number;
}

export interface RetrievalSetOptions {
  /** Explicit episodes; otherwise `houses` episodes cycling through `families` from `firstSeed`. */
  episodes?: readonly EpisodeRef[];
  houses?: number;
  families?: readonly FamilyName[];
  firstSeed?: number;
  /** Most "where is X" queries per house (every moved object is always asked about). */
  maxObjectQueries?: number;
}

export const DEFAULT_FAMILIES: readonly FamilyName[] = ['search', 'fetch', 'rearrange', 'place-in'];
export const TEST_FIRST_SEED = 1_000_000;
const EXPLORE_MAX_STEPS = 160;

export function episodesOf(options: RetrievalSetOptions = {}): EpisodeRef[] {
  if (options.episodes) return [...options.episodes];
  const families = options.families ?? DEFAULT_FAMILIES;
  const first = options.firstSeed ?? TEST_FIRST_SEED;
  const n = options.houses ?? 8;
  return Array.from({ length: n }, (_, i) => ({ family: families[i % families.length] as FamilyName, seed: first + Math.floor(i / families.length) }));
}

export async function buildRetrievalSet(options: RetrievalSetOptions = {}): Promise<RetrievalHouse[]> {
  const houses: RetrievalHouse[] = [];
  for (const ep of episodesOf(options)) houses.push(await buildHouse(ep, options.maxObjectQueries ?? 10));
  return houses;
}

// ---- the agent: a tour of the house with a few bad actions, then the oracle ----------------------------------

/** Visits every landmark (opening and closing containers), sometimes tries something that must fail, then hands
 *  over to the oracle, which sees only its own history. */
class TourThenOracle implements Planner {
  readonly name = 'tour+oracle';
  private readonly oracle: OraclePlanner;
  private rng = new Rng(0);
  private queue: Action[] | null = null;
  private tourDone = false;
  private oracleFrom = Infinity;
  private probesLeft = 0;

  constructor(env: Env) {
    this.oracle = new OraclePlanner(env);
  }

  reset(info: EpisodeInfo): void {
    this.rng = new Rng(`memory-retrieval:${info.family}:${info.seed}`);
    this.queue = null;
    this.tourDone = false;
    this.oracleFrom = Infinity;
    this.probesLeft = 4;
  }

  async decide(context: PlannerContext): Promise<Decision> {
    const obs = context.observation;
    if (this.queue === null) {
      this.queue = [];
      for (const l of obs.landmarks) {
        if (l.category === 'mat') continue;
        this.queue.push({ kind: 'goto', target: l.id });
        if (l.openable) this.queue.push({ kind: 'open', target: l.id }, { kind: 'close', target: l.id });
      }
    }
    const last = context.history[context.history.length - 1];
    if (!this.tourDone) {
      const probe = last?.action?.startsWith('goto(') && last.outcome.ok ? this.probe(obs) : null;
      const action = probe ?? this.queue.shift();
      if (action) return decision(action, probe ? 'I try something that may not work.' : 'I look around the house.');
      this.tourDone = true;
      this.oracleFrom = obs.step + 1;
    }
    const own: HistoryEntry[] = context.history.filter((h) => h.step >= this.oracleFrom);
    return this.oracle.decide({ ...context, history: own });
  }

  /** A deliberate failure now and then: grab something far away, pick up furniture, place what is not held... */
  private probe(obs: Observation): Action | null {
    if (this.probesLeft <= 0 || !this.rng.chance(0.3)) return null;
    const here = obs.visible.find((v) => v.kind === 'furniture' && v.distance < 2.5);
    const far = obs.visible.filter((v) => v.kind === 'object' && !v.state.held && v.distance > ROBOT.reach + 1.2);
    const near = obs.visible.filter((v) => v.kind === 'object' && !v.state.held);
    const options: (() => Action | null)[] = [
      () => (far.length ? { kind: 'pick', object: this.rng.pick(far).id } : null),
      () => (here ? { kind: 'pick', object: here.id } : null),
      () => (near.length && here && obs.holding === null ? { kind: 'place', object: this.rng.pick(near).id, receptacle: here.id } : null),
      () => (here && !obs.landmarks.find((l) => l.id === here.id)?.openable ? { kind: 'open', target: here.id } : null),
    ];
    const action = this.rng.pick(options)();
    if (action) this.probesLeft--;
    return action;
  }
}

function decision(action: Action, thought: string): Decision {
  return { thought, action, raw: `Thought: ${thought}\nAction: ${formatAction(action)}`, stats: {} };
}

// ---- the memory writer ----------------------------------------------------------------------------------------

const words = (s: string): string => s.replace(/_\d+$/, '').replace(/_/g, ' ');
const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const list = (xs: readonly string[]): string => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] ?? ''}`);

interface Known {
  id: string;
  kind: 'object' | 'furniture' | 'marker';
  color: string;
  category: string;
  room: string;
  openable: boolean;
}

interface Sighting {
  key: string;
  memory: string;
}

interface Failure {
  memory: string;
  action: Action;
}

/** Turns loop events into memory texts and remembers the ground truth the queries need. */
class MemoryWriter {
  readonly memories: RetrievalMemory[] = [];
  readonly known = new Map<string, Known>();
  /** Per object: every sighting memory, in order (the last is where it was last seen). */
  readonly sightings = new Map<string, Sighting[]>();
  /** Per container: every state memory, in order; and those written while it stood open (contents known). */
  readonly containerStates = new Map<string, Sighting[]>();
  readonly containerContents = new Map<string, string[]>();
  readonly failures: Failure[] = [];
  private room = '';
  private readonly rng: Rng;
  private readonly prefix: string;

  constructor(prefix: string, rng: Rng) {
    this.prefix = prefix;
    this.rng = rng;
  }

  private write(kind: MemoryTextKind, text: string): string {
    const id = `${this.prefix}:m${this.memories.length}`;
    this.memories.push({ id, text, kind });
    return id;
  }

  private pick(templates: readonly string[]): string {
    return this.rng.pick(templates);
  }

  roomName(room: string): string {
    return words(room);
  }

  /** "the red cabinet", "the cabinet in the kitchen" or "cabinet_2": the shortest phrase that names it alone. */
  describe(id: string): string {
    const k = this.known.get(id);
    if (!k) return id;
    const others = [...this.known.values()].filter((x) => x.category === k.category && x.id !== id);
    const cat = words(k.category);
    if (!others.some((x) => x.color === k.color)) return `the ${k.color} ${cat}`;
    if (!others.some((x) => x.room === k.room)) return `the ${cat} in the ${this.roomName(k.room)}`;
    return id;
  }

  /** "the red mug (mug_3)" */
  name(id: string): string {
    const k = this.known.get(id);
    return k ? `the ${k.color} ${words(k.category)} (${id})` : id;
  }

  task(instruction: string): void {
    this.write('task', this.pick([`Task: ${instruction}`, `I was asked: ${instruction}`, `The instruction was: ${instruction}`]));
  }

  observe(obs: Observation): void {
    for (const l of obs.landmarks) this.known.set(l.id, { id: l.id, kind: l.category === 'mat' ? 'marker' : 'furniture', color: l.color, category: l.category, room: l.room, openable: l.openable });
    for (const v of obs.visible) {
      if (!this.known.has(v.id)) this.known.set(v.id, { id: v.id, kind: v.kind, color: v.color, category: v.category, room: v.room, openable: v.state.open !== undefined });
    }
    if (obs.agent.room !== this.room) {
      this.room = obs.agent.room;
      const r = this.roomName(this.room);
      this.write('room', this.pick([`Entered the ${r}.`, `Walked into the ${r} (${this.room}).`, `Now in the ${r}.`]));
    }
    for (const v of obs.visible) if (v.kind === 'object') this.sight(v);
    for (const v of obs.visible) if (v.kind === 'furniture' && v.state.open !== undefined) this.container(v, obs.visible);
  }

  private sight(v: SeenEntity): void {
    const s = v.state;
    const key = s.held ? 'held' : s.inside ? `in:${s.inside}` : s.on_top_of ? `on:${s.on_top_of}` : `floor:${v.room}`;
    const history = this.sightings.get(v.id) ?? [];
    if (history[history.length - 1]?.key === key) return;
    const room = this.roomName(v.room);
    const o = this.name(v.id);
    let text: string;
    if (s.held) text = this.pick([`Holding ${o} in my gripper, in the ${room}.`, `${capitalise(o)} is in my gripper (${room}).`]);
    else {
      const place = s.inside ? `inside ${this.name(s.inside)}` : s.on_top_of ? `on ${this.name(s.on_top_of)}` : 'on the floor';
      text = this.pick([`Saw ${o} ${place} in the ${room}.`, `${capitalise(o)} is ${place} in the ${room}.`, `Spotted ${o} ${place}, ${room}.`, `Noticed ${o} ${place} in the ${room}.`]);
    }
    history.push({ key, memory: this.write('sighting', text) });
    this.sightings.set(v.id, history);
  }

  private container(v: SeenEntity, visible: readonly SeenEntity[]): void {
    const open = v.state.open === true;
    const inside = visible.filter((x) => x.kind === 'object' && x.state.inside === v.id).map((x) => x.id).sort();
    const key = open ? `open:${inside.join(',')}` : 'closed';
    const history = this.containerStates.get(v.id) ?? [];
    if (history[history.length - 1]?.key === key) return;
    const c = this.name(v.id);
    const room = this.roomName(v.room);
    let text: string;
    if (!open) text = this.pick([`${capitalise(c)}, an openable container in the ${room}, is closed.`, `${capitalise(c)} in the ${room} is a closed container; I cannot see inside.`]);
    else if (inside.length === 0) text = this.pick([`${capitalise(c)}, an openable container in the ${room}, is open and empty.`, `Looked into ${c} in the ${room}: the container is empty.`]);
    else {
      const items = list(inside.map((id) => this.name(id)));
      text = this.pick([
        `${capitalise(c)}, an openable container in the ${room}, is open; inside it: ${items}.`,
        `Looked into ${c} in the ${room}: it contains ${items}.`,
        `Inside ${c} (${room}): ${items}.`,
      ]);
    }
    history.push({ key, memory: this.write('container', text) });
    this.containerStates.set(v.id, history);
    if (open) this.containerContents.set(v.id, [...(this.containerContents.get(v.id) ?? []), history[history.length - 1]?.memory ?? '']);
  }

  outcome(action: Action | null, outcome: Outcome): void {
    if (action === null) return;
    const a = formatAction(action);
    if (outcome.ok) {
      const text = ((): string => {
        switch (action.kind) {
          case 'goto':
            return this.pick([`Went to ${this.name(action.target)}.`, `${a} succeeded: I am next to ${this.name(action.target)}.`]);
          case 'open':
            return `Opened ${this.name(action.target)}.`;
          case 'close':
            return `Closed ${this.name(action.target)}.`;
          case 'pick':
            return this.pick([`Picked up ${this.name(action.object)}.`, `${a} succeeded: holding ${this.name(action.object)}.`]);
          case 'place':
            return `Put ${this.name(action.object)} ${this.known.get(action.receptacle)?.openable ? 'in' : 'on'} ${this.name(action.receptacle)}.`;
          case 'done':
            return 'Said the task is done.';
          default:
            return `${a} succeeded.`;
        }
      })();
      this.write('outcome', text);
      return;
    }
    const target = ((): string => {
      switch (action.kind) {
        case 'goto':
          return `go to ${this.name(action.target)}`;
        case 'open':
          return `open ${this.name(action.target)}`;
        case 'close':
          return `close ${this.name(action.target)}`;
        case 'toggle':
          return `switch ${this.name(action.target)}`;
        case 'pick':
          return `pick up ${this.name(action.object)}`;
        case 'place':
          return `put ${this.name(action.object)} on ${this.name(action.receptacle)}`;
        default:
          return a;
      }
    })();
    const reason = outcome.reason.replace(/_/g, ' ');
    const text = this.pick([
      `Failed to ${target}: ${reason} (${outcome.detail}).`,
      `Tried to ${target} but it failed: ${outcome.reason}. ${capitalise(outcome.detail)}.`,
      `${a} failed with ${outcome.reason}: ${outcome.detail}.`,
    ]);
    this.failures.push({ memory: this.write('failure', text), action });
  }
}

// ---- queries ------------------------------------------------------------------------------------------------

function objectQueries(w: MemoryWriter, rng: Rng, max: number): RetrievalQuery[] {
  const seen = [...w.sightings.keys()];
  const phrase = (id: string): string => {
    const k = w.known.get(id);
    return k ? `the ${k.color} ${words(k.category)}` : id;
  };
  const unique = (id: string): boolean => seen.filter((x) => phrase(x) === phrase(id)).length === 1;
  const moved = seen.filter((id) => (w.sightings.get(id)?.length ?? 0) > 1);
  const rest = rng.shuffle(seen.filter((id) => !moved.includes(id)));
  const chosen = [...moved, ...rest].slice(0, Math.max(max, moved.length));
  return chosen.map((id) => {
    const last = w.sightings.get(id)?.at(-1)?.memory ?? '';
    const p = unique(id) && !rng.chance(0.15) ? phrase(id) : id;
    const text = rng.pick([
      `where is ${p}`,
      `Where did I last see ${p}?`,
      `where can I find ${p}`,
      `Have I seen ${p}? Where was it?`,
      `location of ${p}`,
      `where did ${p} end up`,
    ]);
    return query('object', text, [[last]]);
  });
}

function containerQueries(w: MemoryWriter, rng: Rng): RetrievalQuery[] {
  const out: RetrievalQuery[] = [];
  for (const [id, mems] of w.containerContents) {
    const k = w.known.get(id);
    const last = mems[mems.length - 1];
    if (!k || last === undefined) continue;
    // Also an answer: the latest sighting of each object last seen inside it.
    const current = [...w.sightings.values()].flatMap((s) => (s.at(-1)?.key === `in:${id}` ? [s.at(-1)?.memory ?? ''] : []));
    const full = `the ${k.color} ${words(k.category)} in the ${w.roomName(k.room)}`;
    const fullUnique = [...w.known.values()].filter((x) => x.category === k.category && x.color === k.color && x.room === k.room).length === 1;
    const d = rng.pick([id, w.describe(id), fullUnique ? full : w.describe(id)]);
    const text = rng.pick([`what is in ${d}`, `What is inside ${d}?`, `what did I find inside ${d}`, `what does ${d} contain`, `contents of ${d}`, `what's stored in ${d}?`]);
    out.push(query('container', text, [[last, ...current]]));
  }
  return out;
}

function roomQueries(w: MemoryWriter, rng: Rng): RetrievalQuery[] {
  // One answer per container in the room: any of its state memories names it as a container there.
  const byRoom = new Map<string, string[][]>();
  for (const [id, states] of w.containerStates) {
    const k = w.known.get(id);
    if (!k || states.length === 0) continue;
    byRoom.set(k.room, [...(byRoom.get(k.room) ?? []), states.map((s) => s.memory)]);
  }
  return [...byRoom].map(([room, groups]) => {
    const r = w.roomName(room);
    const text = rng.pick([`which containers are in the ${r}`, `What containers does the ${r} have?`, `list the containers in the ${r}`, `what can be opened in the ${r}`]);
    return query('room', text, groups);
  });
}

function failureQueries(w: MemoryWriter, rng: Rng): RetrievalQuery[] {
  if (w.failures.length === 0) return [];
  const all = w.failures.map((f) => [f.memory]);
  const out: RetrievalQuery[] = [query('failure', rng.pick(['what failed', 'Which actions failed?', 'what went wrong', 'list my failed attempts']), all)];
  const groups = new Map<string, Failure[]>();
  for (const f of w.failures) {
    const target = 'target' in f.action ? f.action.target : 'object' in f.action ? f.action.object : null;
    if (target === null) continue;
    const key = `${f.action.kind}|${target}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const verbs: Partial<Record<Action['kind'], [string, string]>> = {
    goto: ['go to', 'going to'],
    open: ['open', 'opening'],
    close: ['close', 'closing'],
    pick: ['pick up', 'picking up'],
    place: ['put', 'putting'],
  };
  for (const [key, fs] of groups) {
    const [kind, target] = key.split('|') as [Action['kind'], string];
    const verb = verbs[kind];
    const k = w.known.get(target);
    if (!verb || !k) continue;
    const t = rng.chance(0.3) ? target : w.describe(target);
    const text = rng.pick([`why did ${verb[1]} ${t} fail`, `Why couldn't I ${verb[0]} ${t}?`, `what went wrong when I tried to ${verb[0]} ${t}`, `did ${verb[1]} ${t} fail?`]);
    out.push(query('failure', text, [fs.map((f) => f.memory)]));
  }
  return out;
}

// ---- one house ----------------------------------------------------------------------------------------------

export async function buildHouse(ep: EpisodeRef, maxObjectQueries = 10): Promise<RetrievalHouse> {
  const key = `${ep.family}-${ep.seed}`;
  const env = familyEnv(ep.family, { maxSteps: EXPLORE_MAX_STEPS });
  const writer = new MemoryWriter(key, new Rng(`memory-texts:${key}`));
  const result = await runEpisode({
    env,
    planner: new TourThenOracle(env),
    seed: ep.seed,
    onEvent: (e) => {
      if (e.type === 'episode-start') writer.task(e.instruction);
      else if (e.type === 'observation') writer.observe(e.observation);
      else if (e.type === 'action-end') writer.outcome(e.action, e.outcome);
    },
  });
  const rng = new Rng(`memory-queries:${key}`);
  const queries = [...objectQueries(writer, rng, maxObjectQueries), ...containerQueries(writer, rng), ...roomQueries(writer, rng), ...failureQueries(writer, rng)];
  return { key, family: ep.family, seed: ep.seed, memories: writer.memories, queries, success: result.success, steps: result.steps };
}

// ---- scoring ------------------------------------------------------------------------------------------------

export interface KindScore {
  queries: number;
  recallAtK: number;
  mrr: number;
}

export interface RetrievalScore {
  k: number;
  /** Mean over all queries. */
  overall: KindScore;
  /** Mean of the per-kind means (each kind counts the same). */
  macroRecallAtK: number;
  byKind: Record<QueryKind, KindScore>;
  /** The queries whose recall fell short, for inspection. */
  misses: { house: string; kind: QueryKind; query: string; recall: number; top: string[] }[];
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

/** Exact cosine search (the vectors are unit length). recall@k = answer groups with a memory in the top k, over
 *  min(k, number of groups); MRR = reciprocal rank of the first relevant memory. Ties keep memory order. */
export function scoreRetrieval(embedder: Embedder, houses: readonly RetrievalHouse[], k = 5, missLimit = 20): RetrievalScore {
  const per: Record<QueryKind, { recall: number[]; rr: number[] }> = { object: { recall: [], rr: [] }, container: { recall: [], rr: [] }, room: { recall: [], rr: [] }, failure: { recall: [], rr: [] } };
  const misses: RetrievalScore['misses'] = [];
  for (const house of houses) {
    const vectors = house.memories.map((m) => embedder.embed(m.text));
    for (const q of house.queries) {
      const qv = embedder.embed(q.text);
      const ranked = vectors.map((v, i) => ({ i, s: dot(qv, v) })).sort((a, b) => b.s - a.s || a.i - b.i);
      const ids = ranked.map((r) => house.memories[r.i]?.id ?? '');
      const relevant = new Set(q.relevant);
      const top = new Set(ids.slice(0, k));
      const hits = q.groups.filter((g) => g.some((id) => top.has(id))).length;
      const recall = hits / Math.min(k, q.groups.length);
      const first = ids.findIndex((id) => relevant.has(id));
      per[q.kind].recall.push(recall);
      per[q.kind].rr.push(first < 0 ? 0 : 1 / (first + 1));
      if (recall < 1 && misses.length < missLimit) misses.push({ house: house.key, kind: q.kind, query: q.text, recall, top: ranked.slice(0, 3).map((r) => house.memories[r.i]?.text ?? '') });
    }
  }
  const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const byKind = Object.fromEntries(QUERY_KINDS.map((kind) => [kind, { queries: per[kind].recall.length, recallAtK: mean(per[kind].recall), mrr: mean(per[kind].rr) }])) as Record<QueryKind, KindScore>;
  const allRecall = QUERY_KINDS.flatMap((kind) => per[kind].recall);
  const allRr = QUERY_KINDS.flatMap((kind) => per[kind].rr);
  const present = QUERY_KINDS.filter((kind) => per[kind].recall.length > 0);
  return {
    k,
    overall: { queries: allRecall.length, recallAtK: mean(allRecall), mrr: mean(allRr) },
    macroRecallAtK: mean(present.map((kind) => byKind[kind].recallAtK)),
    byKind,
    misses,
  };
}
