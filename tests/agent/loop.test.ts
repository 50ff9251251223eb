// The perceive-reason-act loop: event order, and that it never executes what it must not.
import { describe, expect, it } from 'vitest';
import { extractAction } from '../../agent/grammar.ts';
import { runEpisode, type LoopEvent } from '../../agent/loop.ts';
import type { Decision, Planner, PlannerContext } from '../../agent/planner.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { familyEnv } from '../../scenes/env.ts';
import type { Observation } from '../../sim/types.ts';

/** A planner that replays fixed raw outputs, as a language model would produce them. */
class ScriptedPlanner implements Planner {
  readonly name = 'scripted';
  readonly contexts: PlannerContext[] = [];
  private i = 0;
  constructor(private readonly outputs: string[]) {}
  async decide(context: PlannerContext): Promise<Decision> {
    this.contexts.push(context);
    const raw = this.outputs[Math.min(this.i++, this.outputs.length - 1)] ?? '';
    const parsed = extractAction(raw);
    return parsed.ok
      ? { thought: raw, action: parsed.action, raw, stats: { tokens: 3 } }
      : { thought: raw, action: null, raw, error: parsed.error, stats: { tokens: 3 } };
  }
}

describe('the agent loop', () => {
  it('reports unparsable output and unknown entities as failed outcomes without running physics', async () => {
    const env = familyEnv('goto', { maxSteps: 3 });
    const planner = new ScriptedPlanner(['Thought: hmm\nAction: fly(away)', 'Action: pick(unicorn_9)', 'Action: say("done thinking")']);
    const ends: Extract<LoopEvent, { type: 'action-end' }>[] = [];
    const result = await runEpisode({ env, planner, seed: 1_000_000, onEvent: (e) => e.type === 'action-end' && ends.push(e) });
    expect(ends.map((e) => (e.outcome.ok ? 'ok' : e.outcome.reason))).toEqual(['invalid_action', 'unknown_entity', 'ok']);
    expect(ends[0]?.physicsSteps).toBe(0);
    expect(ends[1]?.physicsSteps).toBe(0);
    expect(ends[2]?.physicsSteps).toBeGreaterThan(0);
    // The planner is told what went wrong.
    const lastContext = planner.contexts[2];
    expect(lastContext?.history.map((h) => h.action)).toEqual([null, 'pick(unicorn_9)']);
    expect(lastContext?.history[0]?.outcome).toMatchObject({ ok: false, reason: 'invalid_action' });
    expect(lastContext?.observation.lastOutcome).toMatchObject({ ok: false, reason: 'unknown_entity' });
    expect(result).toMatchObject({ success: false, truncated: true, steps: 3, failureReason: 'step budget exhausted' });
    expect(result.metrics.failures).toEqual({ invalid_action: 1, unknown_entity: 1 });
    expect(result.metrics.tokens).toBe(9);
  });

  it('emits events in order and ends with the metrics of a successful episode', async () => {
    const env = familyEnv('pickup');
    const events: LoopEvent[] = [];
    let t = 0;
    const result = await runEpisode({ env, planner: new OraclePlanner(env), seed: 1_000_001, clock: () => (t += 5), onEvent: (e) => events.push(e) });
    expect(result.success).toBe(true);
    expect(events[0]?.type).toBe('episode-start');
    expect(events[1]?.type).toBe('observation');
    expect(events[events.length - 1]).toEqual({ type: 'episode-end', result });
    const perStep = events.slice(2, -1).map((e) => e.type);
    for (let i = 0; i < perStep.length; i += 5) {
      expect(perStep.slice(i, i + 5)).toEqual(['decision', 'action-start', 'action-end', 'reward', 'observation']);
    }
    expect(result.metrics.spl).toBe(1);
    expect(result.metrics.decisionLatencyMs.p50).toBe(5);
    expect(result.metrics.pathLength).toBeGreaterThan(0);
    expect(result.metrics.reward).toBeCloseTo(1);
    expect(result.metrics.custom).toEqual({}); // a family's task has no metrics of its own
    expect(result.stateHash).toMatch(/^[0-9a-f]{32}$/);
  });

  it('hands the planner what it saw earlier and does not see now, as it last saw it, and what the oracle knows', async () => {
    const env = familyEnv('rearrange');
    const oracle = new OraclePlanner(env);
    const contexts: PlannerContext[] = [];
    const known: string[][] = [];
    const planner: Planner = {
      name: 'spy',
      decide: async (context) => {
        contexts.push(structuredClone(context));
        known.push([...env.skills.known].sort());
        return oracle.decide(context);
      },
    };
    const observations: Observation[] = [];
    await runEpisode({ env, planner, seed: 1_000_001, onEvent: (e) => e.type === 'observation' && observations.push(structuredClone(e.observation)) });
    expect(contexts.length).toBeGreaterThan(3);
    let withMemory = 0;
    contexts.forEach((context, i) => {
      const inView = new Set(context.observation.visible.map((e) => e.id));
      const before = context.seenBefore ?? [];
      // Disjoint from the view, and each entity as last seen: in view at the end of an action, or glimpsed during it.
      const sightings = observations.slice(0, i + 1).flatMap((o) => [...(o.glimpsed ?? []), ...o.visible]);
      for (const e of before) {
        expect(inView.has(e.id)).toBe(false);
        expect(sightings.findLast((v) => v.id === e.id)).toEqual(e);
      }
      // Together with the view: exactly what the skills know (the oracle's privileged set is the agent's own sight).
      expect([...new Set([...inView, ...before.map((e) => e.id)])].sort()).toEqual(known[i]);
      if (before.some((e) => e.kind === 'object')) withMemory++;
    });
    expect(withMemory).toBeGreaterThan(0);
    // This episode's scans along furniture glimpse things that are out of view when the action ends.
    expect(observations.some((o) => (o.glimpsed ?? []).some((g) => g.kind === 'object'))).toBe(true);
  });

  it('stops when aborted', async () => {
    const env = familyEnv('rearrange');
    const controller = new AbortController();
    const result = await runEpisode({
      env,
      planner: new OraclePlanner(env),
      seed: 1_000_000,
      signal: controller.signal,
      onEvent: (e) => e.type === 'action-end' && controller.abort(),
    });
    expect(result.aborted).toBe(true);
    expect(result.steps).toBe(1);
  });
});
