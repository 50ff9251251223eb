// AgentMemory: the agent's long-term memory, as the loop uses it (LoopMemory in agent/loop.ts). It wraps a
// MemoryStore and an Embedder; pass it as `runEpisode({..., memory})`.
//
// What it writes (texts in agent/memory/text.ts, in the prompt's vocabulary; importance from memory/retrieval.ts
// importanceOf):
//   observation  an object seen for the first time in the episode, or seen again somewhere else or in another state
//                (`red mug (mug_3) on white table (table_1) in kitchen_1`); furniture only when its state changed
//                by something other than the agent's own action (landmarks are known from the floor plan).
//                0.85 when the instruction names its colour and category (a found target), 0.3 when it names the
//                category, else 0.1. entityIds [the entity, its support]; position: where it was seen.
//   event        what a successful action changed: opened (with what is inside in sight), picked up, put, switched
//                (0.3; 0.85 when it involves what the instruction names). Successful goto, close, say, move and
//                done write nothing.
//   outcome      a failed action (0.9): `open(cabinet_2) failed: container_closed (...), blue cabinet in bathroom_1`;
//                and the episode's end: `Succeeded in 6 steps: Pick up the red mug.` (0.5; failed: 0.9).
// An output with no usable action writes nothing (it says nothing about the world).
//
// Superseding (option `supersede`, default true): a newer observation or event about the same entity (the same
// id and name) deletes the older observation and event records about it, so the store holds where a thing was
// last seen, not every place it ever was. Failures and episode outcomes are never superseded.
//
// Time is simulated only: the loop passes each episode's simulated time (physics steps x dt) and the memory keeps
// a running clock across episodes: an episode starts where the store's latest time (written or accessed) left
// off, plus `episodeGap` seconds, so recency keeps decreasing from one episode to the next.
//
// Remembered sightings (remembered(), agent/memory/remembered.ts): at the start of an episode, the objects the
// records of earlier episodes place on or in something, for the loop's seenBefore ('prompt' mode only).
//
// Recall: the query is the instruction (plus what the agent holds); the top k by memory/retrieval.ts `retrieve`
// (recency + importance + relevance over the top-N similar and M most recent), one per distinct text, which
// touches what it returns. By default from the records of other episodes only (option `recallScope`): what the
// current episode saw and did is in the prompt already, and repeated as memories it only crowded the prompt with
// names the model then confused (measured: see ARCHITECTURE.md, memory). By default, too, only records that name
// a thing the task names by colour (option `recallFilter`, text.ts concernsTask): lines about other things made
// the shipped model lose its way (measured there too).
//
// Remembered searches (searched()): the containers earlier episodes opened, whose contents the memory holds, for
// the loop's searchedBefore (the prompt's Unsearched containers leave them out).
//
// Episodes: every record's `episode` is the id of the episode that wrote it (`e<n>-<family>-<seed>`, n counting
// the episodes in the store). With `acrossEpisodes: false` (the default) a new episode starts from an empty
// store; with true the same store carries over (and persists through its backend, if it has one).
import type { Action, Observation, Outcome, SeenEntity } from '../../sim/types.ts';
import { createIndex } from '../../memory/index/index.ts';
import { defaultEmbedder } from '../../memory/embed/index.ts';
import { importanceOf, retrieve, type ImportanceFlags, type Retrieved, type RetrievalOverrides } from '../../memory/retrieval.ts';
import type { LoadReport, MemoryBackend } from '../../memory/store/backend.ts';
import { MemoryStore, type IndexFactory } from '../../memory/store/store.ts';
import type { Embedder, MemoryKind, MemoryRecord } from '../../memory/types.ts';
import { actionEntities, formatAction } from '../grammar.ts';
import type { EpisodeResult, LoopMemory, MemoryRecallRequest, MemoryRecallView, MemoryWrites } from '../loop.ts';
import { PROMPT_LIMITS } from '../prompt.ts';
import { rememberedSearches, rememberedSightings } from './remembered.ts';
import {
  categoryInInstruction,
  concernsTask,
  failureText,
  label,
  nameOf,
  namedInInstruction,
  sightingSignature,
  sightingText,
  supportPhrase,
  taskNames,
  whereabouts,
  type KnownEntity,
} from './text.ts';

export interface AgentMemoryOptions {
  store: MemoryStore;
  /** Must give vectors of the store's dimension. */
  embedder: Embedder;
  /** Keep the memories of earlier episodes when a new one starts (default false: every episode starts empty). */
  acrossEpisodes?: boolean;
  /** Memories recalled per decision (default PROMPT_LIMITS.memories, what the prompt shows). */
  k?: number;
  /** Retrieval weights and candidate counts (memory/retrieval.ts). */
  retrieval?: RetrievalOverrides;
  /** A newer sighting or event about an entity deletes the older ones about it (default true). */
  supersede?: boolean;
  /**
   * What a decision recalls from (default 'earlier-episodes'): the records of other episodes only, since the
   * current one is already in the prompt (History, Unsearched, and everything seen in `Named in the task:`); or
   * 'all-episodes', the current one's records too (measured worse: see ARCHITECTURE.md, memory).
   */
  recallScope?: RecallScope;
  /**
   * Which records a decision may recall (default 'task'): those that name a thing the instruction names by colour
   * (`concernsTask`, agent/memory/text.ts), or, for an instruction that names none, any; or 'any'. What the
   * memory knows of the rest reaches the planner through the remembered searches and sightings; as Memories lines
   * it crowded the prompt with other things' names (measured: see ARCHITECTURE.md, memory).
   */
  recallFilter?: RecallFilter;
  /** Simulated seconds on the memory's clock between one episode's last write or recall and the next's start. */
  episodeGap?: number;
}

export const RECALL_SCOPES = ['earlier-episodes', 'all-episodes'] as const;
export type RecallScope = (typeof RECALL_SCOPES)[number];
export const RECALL_FILTERS = ['task', 'any'] as const;
export type RecallFilter = (typeof RECALL_FILTERS)[number];

export type AgentMemorySettings = Omit<AgentMemoryOptions, 'store' | 'embedder'> & { embedder?: Embedder };

/** The vector index the convenience constructors use: an exact scan up to 2,000 memories, HNSW beyond. */
export const defaultIndexFactory: IndexFactory = (dim) => createIndex({ kind: 'auto', dim });

export interface AgentRecall {
  /** For PlannerContext.memories, most relevant first. */
  texts: string[];
  records: MemoryRecallView[];
  /** The retrieval's detail: the touched records, scores and score components. */
  retrieved: Retrieved[];
}

interface EpisodeState {
  id: string;
  seed: number;
  family: string;
  instruction: string;
  /** Simulated time of the episode's world at its start, and the memory clock's value then. */
  t0: number;
  base: number;
  /** Records written so far (for ids). */
  written: number;
  known: Map<string, KnownEntity>;
  /** Entity id -> the sighting signature last recorded or caused by the agent. */
  signatures: Map<string, string>;
  holding: string | null;
  agentPosition: [number, number, number];
}

const SUPERSEDABLE: ReadonlySet<MemoryKind> = new Set<MemoryKind>(['observation', 'event']);

export class AgentMemory implements LoopMemory {
  readonly store: MemoryStore;
  readonly embedder: Embedder;
  readonly acrossEpisodes: boolean;
  readonly k: number;
  readonly supersede: boolean;
  readonly recallScope: RecallScope;
  readonly recallFilter: RecallFilter;
  readonly episodeGap: number;
  private readonly retrieval: RetrievalOverrides;
  private episodeState: EpisodeState | null = null;
  /** The latest time on the memory clock (simulated seconds). */
  private latest = 0;
  /** Entity id -> ids of observation and event records whose subject it is. */
  private readonly bySubject = new Map<string, Set<string>>();

  constructor(options: AgentMemoryOptions) {
    if (options.embedder.dim !== options.store.dim) {
      throw new Error(`the embedder gives ${options.embedder.dim} dimensions, the store holds ${options.store.dim}`);
    }
    const k = options.k ?? PROMPT_LIMITS.memories;
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    const gap = options.episodeGap ?? 0;
    if (!(Number.isFinite(gap) && gap >= 0)) throw new RangeError(`episodeGap must be a finite number >= 0, got ${gap}`);
    this.store = options.store;
    this.embedder = options.embedder;
    this.acrossEpisodes = options.acrossEpisodes ?? false;
    this.k = k;
    this.supersede = options.supersede ?? true;
    this.recallScope = options.recallScope ?? 'earlier-episodes';
    this.recallFilter = options.recallFilter ?? 'task';
    this.episodeGap = gap;
    this.retrieval = options.retrieval ?? {};
    this.reindex();
  }

  /** A memory in a fresh in-memory store (default embedder and index). */
  static inMemory(settings: AgentMemorySettings = {}): AgentMemory {
    const embedder = settings.embedder ?? defaultEmbedder();
    return new AgentMemory({ ...settings, embedder, store: new MemoryStore({ dim: embedder.dim, indexFactory: defaultIndexFactory }) });
  }

  /** A memory over a store replayed from a backend (memory/persist/log.ts FileLog in Node, IdbLog in a browser). */
  static async open(settings: AgentMemorySettings & { backend: MemoryBackend; indexFactory?: IndexFactory }): Promise<{ memory: AgentMemory; report: LoadReport }> {
    const { backend, indexFactory, ...rest } = settings;
    const embedder = rest.embedder ?? defaultEmbedder();
    const { store, report } = await MemoryStore.open({ dim: embedder.dim, indexFactory: indexFactory ?? defaultIndexFactory, backend });
    return { memory: new AgentMemory({ ...rest, embedder, store }), report };
  }

  /** The id of the current (or last) episode, null before the first. */
  get episode(): string | null {
    return this.episodeState?.id ?? null;
  }

  get size(): number {
    return this.store.size;
  }

  /** The memory clock's latest time (simulated seconds). */
  get now(): number {
    return this.latest;
  }

  /** Every record, in insertion order. */
  records(): MemoryRecord[] {
    return this.store.all();
  }

  /** Deletes every memory (and compacts the store's backend); returns how many there were. */
  clear(): number {
    const ids = this.store.all().map((r) => r.id);
    for (const id of ids) this.store.delete(id);
    if (ids.length > 0) this.store.compact();
    this.bySubject.clear();
    // What was seen this episode is forgotten too: the next observation writes it again.
    this.episodeState?.signatures.clear();
    return ids.length;
  }

  // -------------------------------------------------------------------------------------------
  // LoopMemory

  episodeStart(info: { seed: number; family: string; instruction: string; simTime: number }): void {
    if (!this.acrossEpisodes) this.clear();
    const records = this.store.all();
    for (const r of records) this.latest = Math.max(this.latest, r.simTime, r.lastAccess);
    const episodes = new Set(records.map((r) => r.episode));
    let n = episodes.size + 1;
    while (episodes.has(`e${n}-${info.family}-${info.seed}`)) n++;
    const previous = this.episodeState !== null || records.length > 0;
    this.episodeState = {
      id: `e${n}-${info.family}-${info.seed}`,
      seed: info.seed,
      family: info.family,
      instruction: info.instruction,
      t0: info.simTime,
      base: this.latest + (previous ? this.episodeGap : 0),
      written: 0,
      known: new Map(),
      signatures: new Map(),
      holding: null,
      agentPosition: [0, 0, 0],
    };
    this.reindex(records);
  }

  observe(_step: number, observation: Observation, simTime: number): MemoryWrites {
    const ep = this.current();
    const writes: MemoryWrites = { records: [], superseded: [] };
    this.learn(ep, observation);
    // What the action glimpsed on its way counts as seen, as what is in view at its end does.
    for (const e of [...(observation.glimpsed ?? []), ...observation.visible]) {
      const signature = sightingSignature(e);
      const previous = ep.signatures.get(e.id);
      ep.signatures.set(e.id, signature);
      if (e.state.held || e.id === observation.holding || previous === signature) continue;
      // Landmarks are known from the floor plan: furniture is worth a memory only when its state changed.
      if (e.kind !== 'object' && previous === undefined) continue;
      const flags: ImportanceFlags = this.targetFlags(ep, [e]);
      if (e.kind !== 'object') flags.novel = true;
      const support = e.state.inside ?? e.state.on_top_of;
      this.write(ep, writes, simTime, {
        kind: 'observation',
        text: sightingText(e, ep.known),
        importance: importanceOf('observation', flags),
        entityIds: support === undefined ? [e.id] : [e.id, support],
        position: [...e.position],
        subject: e.id,
      });
    }
    return writes;
  }

  recall(request: MemoryRecallRequest): AgentRecall {
    const ep = this.current();
    const now = this.clock(ep, request.simTime);
    const earlier = (r: MemoryRecord): boolean => this.recallScope === 'all-episodes' || r.episode !== ep.id;
    const named = this.recallFilter === 'task' ? taskNames(request.instruction) : [];
    const concerns = (r: MemoryRecord): boolean => named.length === 0 || concernsTask(r.text, named);
    const retrieved = this.search(recallQuery(request), { now, where: (r) => earlier(r) && concerns(r) });
    return {
      texts: retrieved.map((r) => r.record.text),
      records: retrieved.map((r) => ({ id: r.record.id, text: r.record.text, score: r.score })),
      retrieved,
    };
  }

  outcome(_step: number, action: Action | null, outcome: Outcome, observation: Observation, simTime: number): MemoryWrites {
    const ep = this.current();
    const writes: MemoryWrites = { records: [], superseded: [] };
    const before = ep.holding;
    const record = action === null ? null : this.actionRecord(ep, action, outcome, observation, before);
    // What the agent changed is in the action's record (or, for close, not worth one): the sightings it caused are
    // not written again.
    if (action !== null && outcome.ok && (record !== null || action.kind === 'close')) {
      for (const id of actionEntities(action)) {
        const seen = observation.visible.find((v) => v.id === id);
        if (seen) ep.signatures.set(id, sightingSignature(seen));
      }
    }
    this.learn(ep, observation);
    if (record) this.write(ep, writes, simTime, record);
    return writes;
  }

  episodeEnd(result: EpisodeResult, simTime: number): MemoryWrites {
    const ep = this.current();
    const writes: MemoryWrites = { records: [], superseded: [] };
    const steps = `${result.steps} step${result.steps === 1 ? '' : 's'}`;
    const how = result.success
      ? `Succeeded in ${steps}`
      : result.aborted
        ? `Aborted after ${steps}`
        : `Failed after ${steps} (${result.failureReason ?? 'not done'})`;
    const failed = !result.success && !result.aborted;
    const targets = [...ep.known.values()].filter((e) => namedInInstruction(ep.instruction, e)).map((e) => e.id);
    this.write(ep, writes, simTime, {
      kind: 'outcome',
      text: `${how}: ${ep.instruction}`,
      importance: importanceOf('outcome', { failure: failed }),
      entityIds: targets,
      position: [...ep.agentPosition],
      subject: null,
    });
    return writes;
  }

  /**
   * The objects remembered from earlier episodes, where the records last put them (agent/memory/remembered.ts),
   * for the loop's seenBefore; none when the memory does not span episodes.
   */
  remembered(observation: Observation): SeenEntity[] {
    if (!this.acrossEpisodes) return [];
    return rememberedSightings(this.store.all(), observation, this.episode);
  }

  /**
   * The containers opened in earlier episodes, whose contents the memory holds (agent/memory/remembered.ts), for
   * PlannerContext.searchedBefore; none when the memory does not span episodes.
   */
  searched(observation: Observation): string[] {
    if (!this.acrossEpisodes) return [];
    return rememberedSearches(this.store.all(), observation, this.episode);
  }

  // -------------------------------------------------------------------------------------------
  // Outside the loop

  /**
   * The top-k memories for a free-text query ("where is the red mug"), touched at `now` (default: the memory's
   * clock), of the records `where` keeps, one per text (a failure repeated is one memory, not k).
   */
  search(query: string, options: { k?: number; now?: number; where?: (record: MemoryRecord) => boolean } = {}): Retrieved[] {
    const k = options.k ?? this.k;
    const now = options.now ?? this.latest;
    this.latest = Math.max(this.latest, now);
    if (this.store.size === 0 || k === 0) return [];
    return retrieve(this.store, this.embedder.embed(query), { k, now, distinct: true, ...(options.where ? { where: options.where } : {}) }, this.retrieval);
  }

  // -------------------------------------------------------------------------------------------

  private current(): EpisodeState {
    if (this.episodeState === null) throw new Error('AgentMemory: episodeStart() must come first');
    return this.episodeState;
  }

  /** The memory clock at a simulated time of the current episode's world. */
  private clock(ep: EpisodeState, simTime: number): number {
    const t = ep.base + Math.max(0, simTime - ep.t0);
    this.latest = Math.max(this.latest, t);
    return t;
  }

  /** Names, rooms and positions of what the observation shows, and where the agent is. */
  private learn(ep: EpisodeState, obs: Observation): void {
    ep.instruction = obs.instruction;
    ep.holding = obs.holding;
    ep.agentPosition = [...obs.agent.position];
    for (const l of obs.landmarks) {
      if (ep.known.has(l.id)) continue;
      ep.known.set(l.id, { id: l.id, kind: 'furniture', category: l.category, color: l.color, room: l.room, position: null, openable: l.openable });
    }
    for (const e of [...(obs.glimpsed ?? []), ...obs.visible]) {
      const openable = e.state.open !== undefined || (ep.known.get(e.id)?.openable ?? false);
      ep.known.set(e.id, { id: e.id, kind: e.kind, category: e.category, color: e.color, room: e.room, position: [...e.position], openable });
    }
  }

  /** foundTarget when the instruction names one of them (colour and category), novel when it names a category. */
  private targetFlags(ep: EpisodeState, entities: readonly { color: string; category: string }[]): ImportanceFlags {
    if (entities.some((e) => namedInInstruction(ep.instruction, e))) return { foundTarget: true };
    if (entities.some((e) => categoryInInstruction(ep.instruction, e.category))) return { novel: true };
    return {};
  }

  private actionRecord(ep: EpisodeState, action: Action, outcome: Outcome, obs: Observation, heldBefore: string | null): PendingRecord | null {
    const ids = actionEntities(action);
    const first = ids[0] === undefined ? undefined : ep.known.get(ids[0]);
    const position: [number, number, number] = first?.position ? [...first.position] : [...obs.agent.position];
    if (!outcome.ok) {
      return {
        kind: 'outcome',
        text: failureText(formatAction(action), outcome.reason, outcome.detail, whereabouts(ids, ep.known)),
        importance: importanceOf('outcome', { failure: true }),
        entityIds: ids,
        position,
        subject: null,
      };
    }
    const known = (id: string): KnownEntity[] => {
      const e = ep.known.get(id);
      return e ? [e] : [];
    };
    const seen = (id: string): SeenEntity | undefined => obs.visible.find((v) => v.id === id);
    const room = (id: string): string => {
      const r = seen(id)?.room ?? ep.known.get(id)?.room;
      return r === undefined ? '' : ` in ${r}`;
    };
    const event = (subject: string, text: string, entityIds: string[], about: { color: string; category: string }[], at = position): PendingRecord => ({
      kind: 'event',
      text,
      importance: importanceOf('event', this.targetFlags(ep, about)),
      entityIds,
      position: at,
      subject,
    });
    switch (action.kind) {
      case 'open': {
        const contents = obs.visible.filter((v) => v.state.inside === action.target);
        const inside = contents.length === 0 ? 'nothing inside in sight' : `inside ${contents.map((c) => `${nameOf(c)} (${c.id})`).join(', ')}`;
        return event(action.target, `Opened ${label(action.target, ep.known)}${room(action.target)}: ${inside}.`, [action.target, ...contents.map((c) => c.id)], [...known(action.target), ...contents]);
      }
      case 'pick':
      case 'grasp': {
        const object = action.kind === 'pick' ? action.object : obs.holding;
        if (object === null) return null;
        const where = this.lastSeenSupport(ep, object);
        return event(object, `Picked up ${label(object, ep.known)}${where}.`, [object], known(object));
      }
      case 'place':
      case 'release': {
        const object = action.kind === 'place' ? action.object : heldBefore;
        if (object === null) return null;
        const after = seen(object);
        const receptacle = action.kind === 'place' ? action.receptacle : (after?.state.inside ?? after?.state.on_top_of);
        let to = after ? supportPhrase(after.state, ep.known) : '';
        if (to === '' && receptacle !== undefined) to = ` ${ep.known.get(receptacle)?.openable ? 'in' : 'on'} ${label(receptacle, ep.known)}`;
        const at: [number, number, number] = after ? [...after.position] : position;
        const entityIds = receptacle === undefined ? [object] : [object, receptacle];
        const verb = action.kind === 'place' ? 'Put' : 'Let go of';
        return event(object, `${verb} ${label(object, ep.known)}${to}${room(receptacle ?? object)}.`, entityIds, known(object), at);
      }
      case 'toggle': {
        const state = seen(action.target)?.state.on;
        const switched = state === undefined ? '' : ` ${state ? 'on' : 'off'}`;
        return event(action.target, `Switched ${label(action.target, ep.known)}${room(action.target)}${switched}.`, [action.target], known(action.target));
      }
      case 'goto':
      case 'close':
      case 'say':
      case 'done':
      case 'move':
        return null;
    }
  }

  /** ` from white table (table_1) in kitchen_1`, from the object's last recorded sighting signature. */
  private lastSeenSupport(ep: EpisodeState, id: string): string {
    const signature = ep.signatures.get(id);
    if (signature === undefined) return '';
    const [room, inside, onTopOf] = signature.split('|');
    const support = inside || onTopOf;
    return `${support ? ` from ${label(support, ep.known)}` : ''}${room ? ` in ${room}` : ''}`;
  }

  private write(ep: EpisodeState, writes: MemoryWrites, simTime: number, r: PendingRecord): void {
    const now = this.clock(ep, simTime);
    let id = `${ep.id}/${++ep.written}`;
    while (this.store.has(id)) id = `${ep.id}/${++ep.written}`;
    if (this.supersede && r.subject !== null) {
      const subjectLabel = label(r.subject, ep.known);
      for (const old of [...(this.bySubject.get(r.subject) ?? [])]) {
        const record = this.store.get(old);
        if (record === undefined || !record.text.includes(subjectLabel)) continue;
        this.store.delete(old);
        this.bySubject.get(r.subject)?.delete(old);
        writes.superseded.push(old);
      }
    }
    const record: MemoryRecord = {
      id,
      kind: r.kind,
      text: r.text,
      embedding: this.embedder.embed(r.text),
      episode: ep.id,
      simTime: now,
      importance: r.importance,
      lastAccess: now,
      entityIds: [...r.entityIds],
      // -0 becomes 0: a snapshot or log (JSON) would not keep the sign, and a reopened store should equal this one.
      position: r.position === null ? null : [r.position[0] + 0, r.position[1] + 0, r.position[2] + 0],
    };
    this.store.add(record);
    if (r.subject !== null && SUPERSEDABLE.has(r.kind)) this.index(r.subject, id);
    writes.records.push({ id, kind: r.kind, text: r.text, importance: r.importance });
  }

  private index(subject: string, id: string): void {
    let ids = this.bySubject.get(subject);
    if (!ids) this.bySubject.set(subject, (ids = new Set()));
    ids.add(id);
  }

  /** Rebuilds the subject index (the first entity id of observation and event records) from the store. */
  private reindex(records: readonly MemoryRecord[] = this.store.all()): void {
    this.bySubject.clear();
    for (const r of records) {
      const subject = r.entityIds[0];
      if (subject !== undefined && SUPERSEDABLE.has(r.kind)) this.index(subject, r.id);
    }
  }
}

interface PendingRecord {
  kind: MemoryKind;
  text: string;
  importance: number;
  entityIds: string[];
  position: [number, number, number] | null;
  /** The entity the record is about (for superseding); null for records never superseded. */
  subject: string | null;
}

/** The retrieval query for a decision: the instruction as the agent sees it now, and what it holds. */
export function recallQuery(request: Pick<MemoryRecallRequest, 'instruction' | 'observation'>): string {
  const holding = request.observation.holding;
  if (holding === null) return request.instruction;
  const held = request.observation.visible.find((v) => v.id === holding);
  return `${request.instruction} holding ${held ? nameOf(held) : holding.replace(/_\d+$/, '').replace(/_/g, ' ')}`;
}
