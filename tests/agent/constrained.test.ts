import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionAutomaton, constrainedAction, type AllowedActions } from '../../agent/constrained.ts';
import { parseAction } from '../../agent/grammar.ts';
import { actionEntities } from '../../agent/grammar.ts';
import { makeConfig, type ModelConfig } from '../../agent/lm/config.ts';
import { CpuEngine } from '../../agent/lm/engine/cpu.ts';
import type { DecodeEngine } from '../../agent/lm/engine/types.ts';
import { Prng } from '../../agent/lm/prng.ts';
import { generate } from '../../agent/lm/sampling.ts';
import { trainTokenizer } from '../../agent/lm/tokenizer.ts';
import type { ActionKind } from '../../sim/types.ts';
import { noisyWeights } from './lm/helpers.ts';

const LINES = [
  'Actions: goto(x) pick(x) place(x, y) open(x) close(x) toggle(x) say("...") done(); x is a #mark or an id.',
  'Task: Look for the white bottle in the cupboards and pick it up.',
  'kitchen_1: yellow counter #1, green fridge #2 (opens), yellow cabinet #3 (opens)',
  'living_room_1: black sofa #4, white table #5, blue shelf #6, black lamp #7',
  'white bottle #8 in #2, 1.1 m',
  'Thought: The white bottle #8 is right here within reach. I pick it up. So: pick the white bottle #8.',
  'Action: pick(#8)',
  'Action: goto(#2)',
  'Action: open(#2)',
  'Action: place(#8, #5)',
  'Action: place(mug_3, shelf_1)',
  'Action: say("I cannot find it")',
  'Action: done()',
  'Action: close(#3)',
  'Action: toggle(#7)',
  'Action: goto(mug_3)',
  'History: 5. goto(#2): ok 6. open(#2): ok',
];
const tokenizer = trainTokenizer([...LINES, ...LINES], { minFrequency: 2 });
const V = tokenizer.vocabSize;
const config: ModelConfig = makeConfig({ vocabSize: V, context: 48, dModel: 32, heads: 2, layers: 2 });
const PROMPT = Array.from(tokenizer.encode('<bos>Task: pick up the white bottle.\nThought: I pick it up.\nAction:'));

const engines = new Map<string, CpuEngine>();
function engineFor(seed: number, std: number): CpuEngine {
  const key = `${seed}/${std}`;
  let e = engines.get(key);
  if (e === undefined) {
    e = new CpuEngine(config, noisyWeights(config, seed, std));
    engines.set(key, e);
  }
  return e;
}

/** Wraps an engine, adding a large bias to script[k] in the k-th logits after the prompt. */
class ScriptedEngine implements DecodeEngine {
  private k = 0;
  constructor(
    private readonly inner: DecodeEngine,
    private readonly script: readonly number[],
    private readonly promptLength: number,
  ) {}
  get config(): ModelConfig {
    return this.inner.config;
  }
  get position(): number {
    return this.inner.position;
  }
  private bias(logits: Float32Array): Float32Array {
    const out = Float32Array.from(logits);
    if (this.inner.position >= this.promptLength) {
      const t = this.script[this.k++];
      if (t !== undefined) out[t] = out[t]! + 1000;
    }
    return out;
  }
  prefill(ids: readonly number[]): Float32Array {
    return this.bias(this.inner.prefill(ids));
  }
  step(id: number): Float32Array {
    return this.bias(this.inner.step(id));
  }
  reset(): void {
    this.k = 0;
    this.inner.reset();
  }
}

const KINDS: readonly ActionKind[] = ['goto', 'pick', 'place', 'open', 'close', 'toggle', 'say', 'done', 'grasp', 'release'];
const ENTITIES = ['#1', '#2', '#3', '#5', '#8', '#12', '#123', 'mug_3', 'mug', 'shelf_1', 'living_room_1'];

describe('ActionAutomaton', () => {
  const a = new ActionAutomaton({ kinds: ['pick', 'place', 'say', 'done'], entities: ['#1', '#12', 'mug_3'], sayCap: 5 });

  it('accepts the prefixes of valid actions and rejects the rest', () => {
    for (const ok of ['', ' ', ' p', ' pi', 'pick(', ' pick(#', 'pick(#1', 'pick(#12', 'pick(#1)', 'pick(mu', 'place(#1, ', 'place(#12, mug_3)', 'say("', 'say("hi yo', 'say("hey")', 'done()', ' done(']) {
      expect(a.accepts(ok), ok).toBe(true);
    }
    for (const bad of ['  pick', 'goto(', 'Pick(', 'pick(#2', 'pick(#123', 'pick( #1)', 'pick(#1))', 'pick(#1)\n', 'place(#1,#1)', 'place(#1)', 'say(\'', 'say("a\\', 'say("a\n', 'say("123456', 'donee', 'done();', 'move(', 'pick(mug)']) {
      expect(a.accepts(bad), bad).toBe(false);
    }
  });

  it('knows complete states, distances and the shortest completion', () => {
    const done = a.advance(a.start, ' place(#1, mug_3)');
    expect(done !== null && a.isComplete(done)).toBe(true);
    const mid = a.advance(a.start, 'place(#1');
    expect(mid).not.toBeNull();
    expect(a.shortestCompletion(mid!)).toBe(', #1)');
    expect(a.distance(mid!)).toBe(5);
    expect(a.shortestCompletion(a.advance(a.start, 'say("ab')!)).toBe('")');
  });

  it('refuses move, bad entities and empty languages', () => {
    expect(() => new ActionAutomaton({ kinds: ['move'], entities: [] })).toThrow(RangeError);
    expect(() => new ActionAutomaton({ kinds: ['pick'], entities: ['Mug'] })).toThrow(RangeError);
    expect(() => new ActionAutomaton({ kinds: ['pick'], entities: [] })).toThrow(RangeError);
  });

  it('every random walk to a complete state parses to an allowed action', () => {
    fc.assert(
      fc.property(
        fc.subarray([...KINDS], { minLength: 1 }),
        fc.subarray(ENTITIES, { minLength: 1 }),
        fc.integer({ min: 0, max: 1e9 }),
        (kinds, entities, seed) => {
          const aut = new ActionAutomaton({ kinds, entities, sayCap: 10 });
          const rng = new Prng(seed);
          let state = aut.start;
          let text = '';
          for (let step = 0; step < 200 && !aut.isComplete(state); step++) {
            const firsts = aut.firstChars(state);
            const options = firsts === null ? ['a', ' ', '"', '#', 'é'] : [...firsts];
            const c = options[rng.nextUint32() % options.length]!;
            const next = aut.advance(state, c);
            if (next === null) continue;
            state = next;
            text += c;
            // Any prefix completes.
            const completion = aut.shortestCompletion(state);
            expect(aut.isComplete(aut.advance(state, completion)!)).toBe(true);
            expect(parseAction(text + completion).ok).toBe(true);
          }
          if (!aut.isComplete(state)) text += aut.shortestCompletion(state);
          const parsed = parseAction(text);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(kinds).toContain(parsed.action.kind);
          for (const e of actionEntities(parsed.action)) expect(entities).toContain(e);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('constrainedAction', () => {
  it('never yields an unparsable or disallowed action, whatever the weights', () => {
    fc.assert(
      fc.property(
        fc.record({
          weights: fc.integer({ min: 0, max: 3 }),
          std: fc.constantFrom(0.1, 1, 3),
          seed: fc.integer({ min: 0, max: 1e6 }),
          kinds: fc.subarray([...KINDS], { minLength: 1 }),
          entities: fc.subarray(ENTITIES, { minLength: 1 }),
          temperature: fc.constantFrom(0, 0.7, 1, 2),
          topK: fc.constantFrom(0, 1, 5),
          topP: fc.constantFrom(1, 0.9, 0.5),
          maxTokens: fc.integer({ min: 1, max: 40 }),
        }),
        (p) => {
          const engine = engineFor(p.weights, p.std);
          const allowed: AllowedActions = { kinds: p.kinds, entities: p.entities, sayCap: 20 };
          const out = constrainedAction(engine, tokenizer, {
            allowed,
            prompt: PROMPT,
            sampling: { temperature: p.temperature, topK: p.topK, topP: p.topP },
            seed: p.seed,
            maxTokens: p.maxTokens,
          });
          const parsed = parseAction(out.text);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.action).toEqual(out.action);
          expect(p.kinds).toContain(out.action.kind);
          for (const e of actionEntities(out.action)) expect(p.entities).toContain(e);
          if (out.action.kind === 'say') expect(out.action.text.length).toBeLessThanOrEqual(20);
          expect(out.tokens.length).toBeLessThanOrEqual(p.maxTokens);
          expect(tokenizer.decode(out.tokens) + out.appended).toBe(out.text);
          expect(new ActionAutomaton(allowed).accepts(out.text)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('completes within budget when the budget covers the shortest action in characters', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = constrainedAction(engineFor(seed % 4, 3), tokenizer, {
        allowed: { kinds: ['place', 'say'], entities: ['#12', 'living_room_1'] },
        prompt: PROMPT,
        sampling: { temperature: 1.5 },
        seed,
        maxTokens: 7, // the shortest action, say(""), has 7 characters
      });
      expect(out.appended).toBe('');
      expect(out.tokens.length).toBeLessThanOrEqual(7);
    }
  });

  it('is deterministic: greedy, and sampling per seed', () => {
    const run = (seed: number, temperature: number): unknown => {
      const out = constrainedAction(engineFor(1, 1), tokenizer, {
        allowed: { kinds: KINDS, entities: ENTITIES },
        prompt: PROMPT,
        sampling: { temperature },
        seed,
        maxTokens: 30,
      });
      return [out.text, out.tokens];
    };
    expect(run(1, 0)).toEqual(run(2, 0));
    expect(run(7, 1)).toEqual(run(7, 1));
  });

  it('continues from logits the caller prefilled', () => {
    const engine = engineFor(2, 1);
    const options = { allowed: { kinds: KINDS, entities: ENTITIES }, sampling: { temperature: 0.8 }, seed: 3, maxTokens: 30 };
    const a = constrainedAction(engine, tokenizer, { ...options, prompt: PROMPT });
    engine.reset();
    const logits = engine.prefill(PROMPT);
    const b = constrainedAction(engine, tokenizer, { ...options, logits });
    expect(b.text).toBe(a.text);
  });

  it('returns what unconstrained greedy decoding says when that is already a valid action', () => {
    for (const line of [' pick(#8)', ' place(mug_3, #12)', ' say("I cannot find it")', ' done()', 'goto(living_room_1)']) {
      const script = Array.from(tokenizer.encode(line));
      const engine = new ScriptedEngine(engineFor(0, 1), script, PROMPT.length);
      const free = generate(engine, PROMPT, { maxTokens: script.length });
      expect(tokenizer.decode(free.tokens)).toBe(line);
      const out = constrainedAction(engine, tokenizer, {
        allowed: { kinds: KINDS, entities: ['#8', '#12', 'mug_3', 'living_room_1'] },
        prompt: PROMPT,
        maxTokens: 30,
      });
      expect(out.text).toBe(line);
      expect(out.tokens).toEqual(script);
      expect(out.masked).toBe(0);
    }
  });

  it('masks a disallowed choice and still answers with an allowed action', () => {
    const script = Array.from(tokenizer.encode(' pick(#5)'));
    const engine = new ScriptedEngine(engineFor(0, 1), script, PROMPT.length);
    const out = constrainedAction(engine, tokenizer, { allowed: { kinds: ['pick', 'goto'], entities: ['#8', '#12'] }, prompt: PROMPT, maxTokens: 20 });
    expect(out.masked).toBeGreaterThan(0);
    expect(out.text.startsWith(' pick(#')).toBe(true);
    expect(['#8', '#12']).toContain((out.action as { object: string }).object);
  });
});
