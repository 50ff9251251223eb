// Training data from one oracle episode: (a) corpus passages, plain text the world tells about itself (a scene
// description full of look-ups between marks, ids and names, and the narrated trajectory), and (b) instruction
// examples in the shared prompt format (agent/prompt.ts): prompt -> `Thought: ...\nAction: ...`.
//
// A prompt holds only what the agent saw (the observation, its own past actions and their outcomes); the label is
// the oracle's decision, which may rest on privileged knowledge (where a hidden object is), as an expert's does.
//
// With a student (DAgger: Ross, Gordon & Bagnell 2011), the student's own action is carried out at a seeded share
// of the steps, and every step is still labelled with the oracle's decision: the examples then cover the states
// a trained planner actually reaches, its mistakes included, each answered with what the oracle would do there.
// The oracle keeps no state between decisions, so it can label any state. Such episodes' trajectories are not
// narrated into the corpus (they are not the oracle's).
//
// With a long-term memory (agent/data/jobs.ts: the visits of a house sharing one), the prompts carry what the
// planner would be handed (Memories lines, remembered sightings in `Named in the task:`), and the oracle's labels
// use the memory as it does in the eval harness.
import { relationOf } from '../../sim/relations.ts';
import { Rng } from '../../sim/rng.ts';
import type { Entity } from '../../sim/entities.ts';
import type { Env } from '../../sim/env.ts';
import { familyEnv } from '../../scenes/env.ts';
import type { FamilyName } from '../../scenes/family-names.ts';
import { markOf, type MarkTable } from '../grammar.ts';
import { runEpisode, type LoopMemory } from '../loop.ts';
import type { Planner } from '../planner.ts';
import { OraclePlanner } from '../planners/oracle.ts';
import type { PromptFormat } from '../prompt-format.ts';
import { formatWithMarks, renderPrompt, renderResponse, restateThought } from '../prompt.ts';

/** One instruction example: the prompt, the answer, and where it comes from. JSON-safe. */
export interface SftExample {
  prompt: string;
  response: string;
  family: FamilyName;
  seed: number;
  step: number;
  /** With a memory spanning episodes (umwelt data --memory-mode prompt): the house the visits share (houseKey). */
  house?: string;
}

export interface EpisodeData {
  family: FamilyName;
  seed: number;
  success: boolean;
  steps: number;
  /** Corpus passages, one line each (no newlines inside). */
  corpus: string[];
  examples: SftExample[];
}

const words = (category: string): string => category.replace(/_/g, ' ');
const nameOf = (e: { color: string; category: string }): string => `${e.color} ${words(e.category)}`;
const article = (name: string): string => (/^[aeiou]/.test(name) ? 'an' : 'a');
const listing = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;

/** Marks over the whole house: furniture and mats first (in the world's order, as a prompt's Places), then objects. */
export function sceneMarks(env: Env): MarkTable {
  const list = env.world.entityList;
  const entities = [...list.filter((e) => e.kind !== 'object'), ...list.filter((e) => e.kind === 'object')];
  return { ids: entities.map((e) => e.id), names: entities.map(nameOf) };
}

/**
 * The house in words, right after reset: rooms and what stands in them, where every object is, then look-ups in
 * a seeded order ("#4 is the red mug.", "Where is #4? On #2, the white table.", "The red mug is #4, mug_1.").
 */
export function describeScene(env: Env, marks: MarkTable, rng: Rng): string {
  const world = env.world;
  const mark = (id: string): string => markOf(marks, id) ?? id;
  const the = (e: Entity): string => `the ${nameOf(e)} ${mark(e.id)}`;
  const fixtures = world.entityList.filter((e) => e.kind !== 'object');
  const rooms: string[] = [];
  for (const e of fixtures) if (!rooms.includes(e.room)) rooms.push(e.room);
  const out: string[] = [`The house has ${rooms.length === 1 ? 'one room' : `${rooms.length} rooms`}: ${listing(rooms)}.`];
  for (const room of rooms) {
    const here = fixtures.filter((e) => e.room === room).map((e) => `${article(nameOf(e))} ${nameOf(e)} ${mark(e.id)} (${e.id})`);
    out.push(`In ${room} there ${here.length === 1 ? 'is' : 'are'} ${listing(here)}.`);
  }
  const lookups: string[] = [];
  const supported = new Map<string, string[]>();
  for (const e of world.entityList) {
    if (e.kind !== 'object') continue;
    const rel = relationOf(world, e);
    const supportId = rel.inside ?? rel.on_top_of;
    const support = supportId === undefined ? undefined : world.entity(supportId);
    const where = support ? `${rel.inside ? 'in' : 'on'} ${the(support)}` : 'on the floor';
    out.push(`The ${nameOf(e)} ${mark(e.id)} (${e.id}) is ${where}.`);
    lookups.push(`Where is ${mark(e.id)}? ${rel.inside ? 'In' : 'On'} ${support ? `${mark(support.id)}, the ${nameOf(support)}` : 'the floor'}.`);
    if (support) supported.set(support.id, [...(supported.get(support.id) ?? []), the(e)]);
  }
  for (const e of world.entityList) {
    lookups.push(`${mark(e.id)} is the ${nameOf(e)}.`);
    lookups.push(`The ${nameOf(e)} ${e.kind === 'object' ? '' : `in ${e.room} `}is ${mark(e.id)}, ${e.id}.`);
    lookups.push(`${e.id} is ${mark(e.id)}.`);
  }
  for (const [id, things] of supported) {
    const f = world.entity(id);
    if (f) lookups.push(`What is ${f.kind === 'furniture' && f.model.interior !== null ? 'in' : 'on'} ${mark(id)}? ${listing(things)}.`);
  }
  return [...out, ...rng.shuffle(lookups)].join(' ');
}

/** A planner whose actions are carried out at `rate` of the steps (seeded by family and seed), the oracle's else. */
export interface Student {
  planner: Planner;
  rate: number;
}

export interface EpisodeDataOptions {
  maxSteps?: number;
  student?: Student;
  /**
   * A long-term memory as the loop gets it (agent/memory/modes.ts loopMemory): its recalled memories and remembered
   * sightings reach the prompt, the oracle's labels (it looks for a remembered target where it was) and the student.
   */
  memory?: LoopMemory;
  /** The prompt format of the examples (agent/prompt-format.ts; default LATEST_PROMPT_FORMAT). */
  format?: PromptFormat;
}

/** The prompt and the oracle's answer for each step, and the corpus passages, of one episode. */
export async function episodeData(family: FamilyName, seed: number, options: EpisodeDataOptions = {}): Promise<EpisodeData> {
  const { maxSteps, student, memory, format } = options;
  const env = familyEnv(family, maxSteps === undefined ? {} : { maxSteps });
  const oracle = new OraclePlanner(env);
  const examples: SftExample[] = [];
  const narration: string[] = [];
  let marks: MarkTable = { ids: [], names: [] };
  let scene = '';
  const turns = new Rng(`student:${family}:${seed}`);
  const teacher: Planner = {
    name: 'oracle',
    reset: (info) => {
      marks = sceneMarks(env);
      scene = describeScene(env, marks, new Rng(`data:${family}:${seed}`));
      narration.push(`Task: ${info.instruction}`);
      student?.planner.reset?.(info);
    },
    decide: async (context, options) => {
      const decision = await oracle.decide(context);
      const { text, marks: promptMarks } = renderPrompt(context, format === undefined ? {} : { format });
      const action = decision.action;
      if (action !== null) {
        const step = context.observation.step + 1;
        examples.push({ prompt: text, response: renderResponse(decision.thought, action, promptMarks), family, seed, step });
        narration.push(`Step ${step}: ${restateThought(decision.thought, marks)} I do ${formatWithMarks(action, marks)}`);
      }
      if (student !== undefined && turns.chance(student.rate)) {
        const own = await student.planner.decide(context, options);
        if (own.action !== null) return own;
      }
      return decision;
    },
  };
  const result = await runEpisode({
    env,
    planner: teacher,
    seed,
    memory,
    onEvent: (event) => {
      if (event.type !== 'action-end') return;
      const o = event.outcome;
      const last = narration.length - 1;
      narration[last] = `${narration[last] ?? ''}: ${o.ok ? 'ok' : `it fails, ${o.reason.replace(/_/g, ' ')}`}.`;
    },
  });
  if (student !== undefined) return { family, seed, success: result.success, steps: result.steps, corpus: [scene], examples };
  narration.push(result.success ? 'The task is done.' : 'The task is not done.');
  // The entities the trajectory names, as a key before it.
  const told = narration.join(' ');
  const key = marks.ids.flatMap((id, i) => (new RegExp(`#${i + 1}(?!\\d)`).test(told) ? [`#${i + 1} is the ${marks.names[i] ?? id} (${id})`] : []));
  const trajectory = `${key.length > 0 ? `${key.join('; ')}. ` : ''}${narration.join(' ')}`;
  return { family, seed, success: result.success, steps: result.steps, corpus: [scene, trajectory], examples };
}

