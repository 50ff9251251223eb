// The loop guard's pieces: the prompt state leaves out only the History section and the distances, and the record
// of choices is per state and forgotten at reset.
import { describe, expect, it } from 'vitest';
import { LoopGuard, promptState } from '../../agent/planners/loop-guard.ts';

const prompt = (history: string[]): string =>
  [
    'Places:',
    'kitchen_1: white counter #1, green fridge #2 (opens)',
    'You: in kitchen_1, holding nothing.',
    'Memories: none',
    ...(history.length === 0 ? ['History: none'] : ['History:', ...history]),
    'Named in the task: none',
    'Task: Find the red mug.',
  ].join('\n');

describe('promptState', () => {
  it('is the prompt without its History section, whatever the history says', () => {
    const state = promptState(prompt(['1. goto(#2): ok', '2. open(#2): ok']));
    expect(state).toBe(promptState(prompt([])));
    expect(state).toBe(['Places:', 'kitchen_1: white counter #1, green fridge #2 (opens)', 'You: in kitchen_1, holding nothing.', 'Memories: none', 'Named in the task: none', 'Task: Find the red mug.'].join('\n'));
  });

  it('leaves out the distances, so coming back to a place from another side is the same state', () => {
    const here = prompt([]).replace('Places:', 'See:\nwhite counter #1, 1.3 m\nred mug #3 on #1, 12.0 m\nPlaces:');
    const there = prompt([]).replace('Places:', 'See:\nwhite counter #1, 0.9 m\nred mug #3 on #1, 7.5 m\nPlaces:');
    expect(promptState(here)).toBe(promptState(there));
    expect(promptState(here)).toContain('\nred mug #3 on #1\n');
  });

  it('keeps every other line, so a change elsewhere is another state', () => {
    expect(promptState(prompt([]))).not.toBe(promptState(prompt([]).replace('holding nothing', 'holding the red mug #3')));
  });
});

describe('LoopGuard', () => {
  it('says when an action repeats one chosen in the same state, until reset', () => {
    const guard = new LoopGuard();
    const open = { kind: 'open', target: 'fridge_1' } as const;
    expect(guard.repeats('a', open)).toBe(false);
    guard.note('a', open);
    expect(guard.repeats('a', { kind: 'open', target: 'fridge_1' })).toBe(true);
    expect(guard.repeats('a', { kind: 'close', target: 'fridge_1' })).toBe(false);
    expect(guard.repeats('b', open)).toBe(false);
    guard.reset();
    expect(guard.repeats('a', open)).toBe(false);
  });

  it('accepts a sampled try that repeats nothing and does not end the episode', () => {
    const guard = new LoopGuard();
    const open = { kind: 'open', target: 'fridge_1' } as const;
    guard.note('a', open);
    expect(guard.accepts('a', open)).toBe(false);
    expect(guard.accepts('a', { kind: 'close', target: 'fridge_1' })).toBe(true);
    expect(guard.accepts('a', { kind: 'done' })).toBe(false);
    expect(guard.accepts('b', { kind: 'done' })).toBe(false);
    expect(guard.accepts('b', open)).toBe(true);
  });
});
