// The shared prompt format (agent/prompt.ts): a golden example, determinism, the size bound, and marks that
// round-trip renderResponse -> extractAction -> resolveMarks to the oracle's own action at every step.
import { describe, expect, it } from 'vitest';
import { episodeData } from '../../agent/data/episode.ts';
import { extractAction, resolveMarks } from '../../agent/grammar.ts';
import { runEpisode } from '../../agent/loop.ts';
import type { Planner, PlannerContext } from '../../agent/planner.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { placeOrder, PROMPT_LIMITS, renderPrompt, renderResponse, restateThought, searchedPlaces, taskWithProgress, unsearchedPlaces, visitedPlaces } from '../../agent/prompt.ts';
import { familyEnv } from '../../scenes/env.ts';
import { FAMILY_NAMES, type FamilyName } from '../../scenes/family-names.ts';
import type { Action, Color, Landmark } from '../../sim/types.ts';

const GOLDEN_PROMPT = `Actions: goto(x) pick(x) place(x, y) open(x) close(x) toggle(x) say("...") done(); x is a #mark or an id.
Places:
kitchen_1: yellow counter #1, green fridge #2 (opens), yellow cabinet #3 (opens)
living_room_1: black sofa #4, white table #5, blue shelf #6, black lamp #7
See:
white bottle #8 in #2, 1.1 m
green fridge #2, open, 1.1 m
You: in kitchen_1, holding nothing.
Unsearched surfaces: yellow counter #1, black sofa #4, white table #5, blue shelf #6
Unsearched containers: yellow cabinet #3
Memories: none
History:
1. goto(#2): ok
2. open(#2): ok
Named in the task:
white bottle #8: in reach in #2, 1.1 m
Task: Look for the white bottle in the cupboards and pick it up.
`;
const GOLDEN_RESPONSE = `Thought: The white bottle #8 is right here within reach. I pick it up. So: pick the white bottle #8.
Action: pick(#8)`;

interface Step {
  context: PlannerContext;
  action: Action;
  thought: string;
}

/** Every decision of the oracle on one episode, with the context it was given. */
async function oracleSteps(family: FamilyName, seed: number): Promise<Step[]> {
  const env = familyEnv(family);
  const oracle = new OraclePlanner(env);
  const steps: Step[] = [];
  const planner: Planner = {
    name: 'oracle',
    decide: async (context) => {
      const decision = await oracle.decide(context);
      if (decision.action) steps.push({ context: structuredClone(context), action: decision.action, thought: decision.thought });
      return decision;
    },
  };
  const result = await runEpisode({ env, planner, seed });
  expect(result.success, `${family} ${seed}`).toBe(true);
  return steps;
}

/** A floor-plan landmark; its category is its id's (`fridge_1`: fridge). */
const landmark = (id: string, color: Color, room: string, openable: boolean, holds = true): Landmark => ({ id, category: id.replace(/_\d+$/, ''), color, room, openable, holds });

const words = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length;

describe('renderPrompt / renderResponse', () => {
  it('matches the golden example (search, train seed 0, the last step)', async () => {
    const data = await episodeData('search', 0);
    const last = data.examples[data.examples.length - 1];
    expect(last?.step).toBe(3);
    expect(last?.prompt).toBe(GOLDEN_PROMPT);
    expect(last?.response).toBe(GOLDEN_RESPONSE);
    expect(data.examples.map((e) => e.step)).toEqual([1, 2, 3]);
  });

  it('round-trips marks to the oracle\'s action at every step of every family, deterministically and compactly', async () => {
    let checked = 0;
    let longest = 0;
    for (const family of FAMILY_NAMES) {
      // Two episodes of the short families, one of the long ones: about 40 steps in all.
      for (const seed of ['rearrange', 'place-in', 'place-on', 'chain'].includes(family) ? [1] : [1, 2]) {
        for (const step of await oracleSteps(family, seed)) {
          const rendered = renderPrompt(step.context);
          expect(renderPrompt(structuredClone(step.context))).toEqual(rendered);
          expect(JSON.parse(JSON.stringify(rendered.marks))).toEqual(rendered.marks);
          const response = renderResponse(step.thought, step.action, rendered.marks);
          expect(response).toMatch(/^Thought: .+\nAction: .+$/);
          const parsed = extractAction(response);
          if (!parsed.ok) throw new Error(`${family} ${seed}: ${JSON.stringify(parsed.error)}`);
          const resolved = resolveMarks(parsed.action, rendered.marks);
          if (!resolved.ok) throw new Error(`${family} ${seed}: ${JSON.stringify(resolved.error)}`);
          expect(resolved.action, `${family} ${seed}\n${rendered.text}${response}`).toEqual(step.action);
          // Every mark the answer uses is defined in the prompt.
          for (const mark of response.match(/#\d+/g) ?? []) expect(rendered.text).toMatch(new RegExp(`${mark}(?!\\d)`));
          longest = Math.max(longest, words(rendered.text));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(longest).toBeLessThan(350);
  });

  it('caps entities and history deterministically, and says so', () => {
    const visible = Array.from({ length: 30 }, (_, i) => ({
      id: `ball_${i + 1}`,
      kind: 'object' as const,
      category: 'ball',
      color: i === 29 ? ('red' as const) : ('blue' as const),
      room: 'kitchen_1',
      distance: 1 + i / 10,
      bearing: 0,
      height: 0.5,
      position: [0, 0, 0] as [number, number, number],
      state: { on_top_of: 'table_1' },
    }));
    const landmarks = Array.from({ length: 25 }, (_, i) => ({ id: `table_${i + 1}`, category: 'table', color: 'white' as const, room: `room_${i % 3}`, openable: false, holds: true }));
    const history = Array.from({ length: 8 }, (_, i) => ({ step: i + 1, action: `goto(table_${i + 1})`, outcome: { ok: false as const, reason: 'path_blocked' as const, detail: 'x'.repeat(200) } }));
    const context: PlannerContext = {
      instruction: 'Pick up the red ball.',
      observation: { step: 8, instruction: 'Pick up the red ball.', agent: { position: [0, 0, 0], yaw: 0, room: 'room_0' }, holding: null, visible, landmarks, lastAction: null, lastOutcome: null },
      history,
      memories: ['the red ball was on table_1 in the kitchen', 'b', 'c', 'd'],
    };
    const { text, marks } = renderPrompt(context);
    expect(renderPrompt(context).text).toBe(text);
    expect(text).toContain(`(+${25 - PROMPT_LIMITS.landmarks} more)`);
    expect(text).toContain(`(+${30 - PROMPT_LIMITS.visible} more)`);
    expect(text).toContain(`Unsearched surfaces: ${'white table #'}`);
    expect(text).toContain(`(+${25 - PROMPT_LIMITS.unsearched} more)\nUnsearched containers: none`);
    // The ball the task names is kept although it is the farthest.
    expect(text).toMatch(/red ball #\d+ on #\d+, 3\.9 m/);
    expect(text.match(/^\d+\. goto/gm)).toHaveLength(PROMPT_LIMITS.history);
    expect(text).toContain('Memories:\n- the red ball was on table_1 in the kitchen\n- b\n- c\nHistory:');
    expect(text.endsWith('Task: Pick up the red ball.\n')).toBe(true);
    expect(marks.ids).toHaveLength(PROMPT_LIMITS.landmarks + PROMPT_LIMITS.visible);
    expect(words(text)).toBeLessThan(350);
  });

  it('lists the agent\'s room first and the places still unsearched, remembering visits beyond the history it shows', () => {
    const landmarks = [
      landmark('table_1', 'white', 'kitchen_1', false),
      landmark('fridge_1', 'red', 'kitchen_1', true),
      landmark('cabinet_1', 'red', 'kitchen_1', true),
      landmark('sofa_1', 'blue', 'living_room_1', false),
      landmark('shelf_1', 'green', 'living_room_1', false),
      landmark('lamp_1', 'black', 'living_room_1', false, false),
      landmark('bench_1', 'white', 'kitchen_1', false),
    ];
    // The white bench is in sight: what lies on it would be in sight too.
    const bench = { id: 'bench_1', kind: 'furniture' as const, category: 'bench', color: 'white' as const, room: 'kitchen_1', distance: 3, bearing: 0, height: 0.5, position: [0, 0, 0] as [number, number, number], state: {} };
    const observation = { step: 9, instruction: 'Find the red ball.', agent: { position: [0, 0, 0] as [number, number, number], yaw: 0, room: 'living_room_1' }, holding: null, visible: [bench], landmarks, lastAction: null, lastOutcome: null };
    expect(placeOrder(observation, 'Find the red ball.').map((l) => l.id)).toEqual(['sofa_1', 'shelf_1', 'lamp_1', 'table_1', 'fridge_1', 'cabinet_1', 'bench_1']);
    const ok = { ok: true as const };
    const history = [
      { step: 1, action: 'goto(table_1)', outcome: ok },
      { step: 2, action: 'goto(fridge_1)', outcome: { ok: false as const, reason: 'path_blocked' as const, detail: 'x' } },
      { step: 3, action: 'open(fridge_1)', outcome: ok },
      { step: 4, action: 'goto(table_1)', outcome: ok },
      { step: 5, action: 'pick(ball_1)', outcome: ok },
      { step: 6, action: 'goto(ball_1)', outcome: ok },
      { step: 7, action: 'goto(sofa_1)', outcome: ok },
      { step: 8, action: null, outcome: ok },
    ];
    expect(visitedPlaces(history, landmarks)).toEqual(['table_1', 'fridge_1', 'sofa_1']);
    const { text } = renderPrompt({ instruction: 'Find the red ball.', observation, history, memories: [] });
    expect(text).toContain('Places:\nliving_room_1: blue sofa #1, green shelf #2, black lamp #3\nkitchen_1: white table #4, red fridge #5 (opens), red cabinet #6 (opens), white bench #7\n');
    // Step 1 is no longer in History, but the table is still among the places visited; the lamp holds nothing.
    expect(text).not.toContain('1. goto');
    expect(text).toContain('Unsearched surfaces: green shelf #2\nUnsearched containers: red cabinet #6\n');
    const unsearched = unsearchedPlaces({ instruction: 'Find the red ball.', observation, history });
    expect(unsearched.surfaces.map((l) => l.id)).toEqual(['shelf_1']);
    expect(unsearched.containers.map((l) => l.id)).toEqual(['cabinet_1']);
    expect(unsearchedPlaces({ instruction: 'Find the red ball.', observation, history: [] }).surfaces.map((l) => l.id)).toEqual(['sofa_1', 'shelf_1', 'table_1']);
    // Going to a container is not looking into it: the cabinet stays unsearched until it is opened.
    const wentTo = [...history, { step: 9, action: 'goto(cabinet_1)', outcome: ok }];
    expect([...searchedPlaces(wentTo, landmarks)]).toEqual(['table_1', 'fridge_1', 'sofa_1']);
    expect(unsearchedPlaces({ instruction: 'Find the red ball.', observation, history: wentTo }).containers.map((l) => l.id)).toEqual(['cabinet_1']);
    const opened = [...wentTo, { step: 10, action: 'open(cabinet_1)', outcome: ok }];
    expect(searchedPlaces(opened, landmarks).has('cabinet_1')).toBe(true);
    expect(unsearchedPlaces({ instruction: 'Find the red ball.', observation, history: opened }).containers).toEqual([]);
  });

  it('lists first where a memory last put the things the task names, and lists searched containers again when none is left', () => {
    const landmarks = [
      landmark('table_1', 'white', 'kitchen_1', false),
      landmark('fridge_1', 'red', 'kitchen_1', true),
      landmark('cabinet_1', 'red', 'kitchen_1', true),
      landmark('drawer_1', 'blue', 'kitchen_1', true),
    ];
    const thing = (id: string, category: string, state: object) =>
      ({ id, kind: 'object' as const, category, color: 'green' as const, room: 'kitchen_1', distance: 2, bearing: 0, height: 0.5, position: [1, 0.5, 0] as [number, number, number], state });
    const cup = thing('cup_1', 'cup', { inside: 'drawer_1' });
    const vase = thing('vase_1', 'vase', { inside: 'cabinet_1' });
    const instruction = 'Find the green cup and pick it up.';
    const observation = { step: 0, instruction, agent: { position: [0, 0, 0] as [number, number, number], yaw: 0, room: 'kitchen_1' }, holding: null, visible: [], landmarks, lastAction: null, lastOutcome: null };
    const base = { instruction, observation, history: [], memories: [] };
    const ids = (c: PlannerContext): string[] => unsearchedPlaces(c).containers.map((l) => l.id);
    expect(ids(base)).toEqual(['fridge_1', 'cabinet_1', 'drawer_1']);
    // The cup was remembered in the drawer, which an earlier visit opened: the drawer comes first all the same. The
    // vase is remembered too, but the task does not name it; the cabinet, searched before, is left out.
    const recalled = { ...base, seenBefore: [cup, vase], recalled: [cup, vase], searchedBefore: ['drawer_1', 'cabinet_1'] };
    expect(ids(recalled)).toEqual(['drawer_1', 'fridge_1']);
    expect(renderPrompt(recalled).text).toContain('Unsearched containers: blue drawer #4, red fridge #2\n');
    // Once the drawer has been looked into in this episode (the cup was not there), it is no longer first.
    const looked = { ...recalled, history: [{ step: 1, action: 'open(drawer_1)', outcome: { ok: true as const } }] };
    expect(ids(looked)).toEqual(['fridge_1']);
    // Every container searched before and the cup remembered nowhere: the memory was wrong, so they are listed again.
    const stale = { ...base, searchedBefore: ['fridge_1', 'cabinet_1', 'drawer_1'] };
    expect(ids(stale)).toEqual(['fridge_1', 'cabinet_1', 'drawer_1']);
    expect(ids({ ...stale, history: looked.history })).toEqual(['fridge_1', 'cabinet_1']);
    // A remembered sighting that does not reach the context (no memory) changes nothing.
    expect(ids({ ...base, seenBefore: [cup] })).toEqual(['fridge_1', 'cabinet_1', 'drawer_1']);
  });

  it('says what the agent knows of each thing the task names (format 2 and 3), in the order the task names them', () => {
    const at = (x: number): [number, number, number] => [x, 0.5, 0];
    const landmarks = [
      landmark('table_1', 'white', 'kitchen_1', false),
      landmark('fridge_1', 'red', 'kitchen_1', true),
      landmark('shelf_1', 'green', 'kitchen_1', false),
    ];
    const seen = (id: string, category: string, color: 'red' | 'blue' | 'green', x: number, state: object) =>
      ({ id, kind: 'object' as const, category, color, room: 'kitchen_1', distance: x, bearing: 0, height: 0.5, position: at(x), state });
    const mug = seen('mug_1', 'mug', 'red', 0.9, { on_top_of: 'table_1' });
    const ball = seen('ball_1', 'ball', 'blue', 4.2, { on_top_of: 'shelf_1' });
    const cup = seen('cup_1', 'cup', 'green', 3, { inside: 'fridge_1' });
    const instruction = 'Put the green cup, the blue ball and the red mug on the table.';
    const observation = { step: 4, instruction, agent: { position: at(0), yaw: 0, room: 'kitchen_1' }, holding: null, visible: [mug, ball], landmarks, lastAction: null, lastOutcome: null };
    const context: PlannerContext = { instruction, observation, history: [], memories: [], seenBefore: [cup] };
    const { text, marks } = renderPrompt(context, { format: 2 });
    const named = text.slice(text.indexOf('Named in the task:'), text.indexOf('Task:'));
    // The cup was seen before (a new mark), the ball is in sight but beyond reach, the mug within reach, the table
    // (named by its bare category) out of view.
    expect(named).toBe('Named in the task:\ngreen cup #6: not in sight, last seen in #2\nblue ball #5: in sight on #3, 4.2 m\nred mug #4: in reach on #1, 0.9 m\nwhite table #1: not in sight\n');
    expect(marks.ids[5]).toBe('cup_1');
    // Format 3 names the place of what is out of sight; nothing else changes. Format 4 (the latest) is format 2
    // where no step has earned a reward yet.
    expect(renderPrompt(context, { format: 3 }).text).toBe(text.replace('last seen in #2', 'last seen in the red fridge #2'));
    expect(renderPrompt(context, { format: 4 }).text).toBe(text);
    expect(renderPrompt(context).text).toBe(text);
    // Holding the mug: held; format 1 has no such section.
    const holding = renderPrompt({ ...context, observation: { ...observation, holding: 'mug_1', visible: [ball] }, seenBefore: [cup, mug] }).text;
    expect(holding).toMatch(/red mug #\d+: held\n/);
    expect(renderPrompt(context, { format: 1 }).text).not.toContain('Named in the task');
    const nothing = renderPrompt({ ...context, instruction: 'Find the purple can.', seenBefore: [] }).text;
    expect(nothing).toContain('Named in the task: none\nTask: Find the purple can.\n');
  });

  it('writes `, done` in the Task (format 4) after each thing a step earned a reward for', async () => {
    // Rearrange, train seed 0: the mug, then the candle, then the book.
    const steps = await oracleSteps('rearrange', 0);
    const tasks = [...new Set(steps.map((s) => renderPrompt(s.context, { format: 4 }).text.split('\n').find((l) => l.startsWith('Task:'))))];
    expect(tasks).toEqual([
      'Task: Tidy up: move the purple mug into the cabinet, place the green candle on top of the sofa and place the black book on top of the black counter.',
      'Task: Tidy up: move the purple mug, done, into the cabinet, place the green candle on top of the sofa and place the black book on top of the black counter.',
      'Task: Tidy up: move the purple mug, done, into the cabinet, place the green candle, done, on top of the sofa and place the black book on top of the black counter.',
    ]);
    // Nothing else in the prompt changes, and the other formats have none of it.
    for (const { context } of steps) {
      const two = renderPrompt(context, { format: 2 }).text;
      expect(two).toContain(`Task: ${context.instruction}\n`);
      expect(renderPrompt(context, { format: 4 }).text.replace(/^Task: .*$/m, '')).toBe(two.replace(/^Task: .*$/m, ''));
    }
    // A furniture's bare name (open), a goto's object before a full stop, an unrewarded or unparsable step, a
    // rewarded step about something the text does not name.
    const fridge = landmark('fridge_1', 'white', 'kitchen_1', true);
    const instruction = 'Go to the red mug. Then pull the fridge open, then store the blue bowl in it.';
    const observation = { step: 3, instruction, agent: { position: [0, 0, 0] as [number, number, number], yaw: 0, room: 'kitchen_1' }, holding: null, visible: [], landmarks: [fridge], lastAction: null, lastOutcome: null };
    const mug = { id: 'mug_1', kind: 'object' as const, category: 'mug', color: 'red' as const, room: 'kitchen_1', distance: 1, bearing: 0, height: 0.5, position: [1, 0.5, 0] as [number, number, number], state: {} };
    const ok = { ok: true as const };
    const context: PlannerContext = {
      instruction,
      observation,
      memories: [],
      seenBefore: [mug, { ...mug, id: 'cup_1', category: 'cup' }],
      history: [
        { step: 1, action: 'goto(mug_1)', outcome: ok, reward: 1 / 3 },
        { step: 2, action: 'goto(fridge_1)', outcome: ok, reward: 0 },
        { step: 3, action: 'open(fridge_1)', outcome: ok, reward: 1 / 3 },
        { step: 4, action: 'pick(cup_1)', outcome: ok, reward: 1 },
        { step: 5, action: null, outcome: ok, reward: 1 },
      ],
    };
    expect(taskWithProgress(context)).toBe('Go to the red mug, done. Then pull the fridge, done, open, then store the blue bowl in it.');
    expect(taskWithProgress({ ...context, history: context.history.map((h) => ({ ...h, reward: 0 })) })).toBe(instruction);
    expect(taskWithProgress({ ...context, history: context.history.map(({ reward: _, ...h }) => h) })).toBe(instruction);
    // A reward for a step about something the text does not name goes to the first part not yet done (the cup's
    // step above found both done), of the things the agent knows: not the bowl, never seen.
    const aside = (rewards: number): PlannerContext['history'] =>
      Array.from({ length: rewards }, (_, i) => ({ step: i + 1, action: 'goto(cup_1)', outcome: ok, reward: 1 / 3 }));
    expect(taskWithProgress({ ...context, history: aside(1) })).toBe('Go to the red mug, done. Then pull the fridge open, then store the blue bowl in it.');
    expect(taskWithProgress({ ...context, history: aside(3) })).toBe('Go to the red mug, done. Then pull the fridge, done, open, then store the blue bowl in it.');
  });

  it('restates entities by mark and name', () => {
    const marks = { ids: ['cabinet_1', 'cabinet_10', 'bottle_1'], names: ['yellow cabinet', 'red cabinet', 'white bottle'] };
    expect(restateThought('the white bottle is not in cabinet_10 or cabinet_1.', marks)).toBe(
      'The white bottle #3 is not in the red cabinet #2 or the yellow cabinet #1.',
    );
    expect(restateThought('sofa_2 is far.', marks)).toBe('sofa_2 is far.');
    // A held thing is named by its category alone.
    expect(restateThought('I put the green mug on it.', { ids: ['mug_1'], names: ['mug'] })).toBe('I put the green mug #1 on it.');
  });
});
