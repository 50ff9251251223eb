import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { runEpisode } from '../../agent/loop.ts';
import { makePlanner } from '../../agent/planners/index.ts';
import { familyEnv } from '../../scenes/env.ts';
import type { FamilyName } from '../../scenes/family-names.ts';
import { hashWorld, snapshotWorld } from '../../sim/snapshot.ts';
import type { World } from '../../sim/world.ts';

/** hashWorld as first written: over snapshotWorld, the numbers gathered in arrays. The fast path must match it. */
function hashWorldReference(world: World, extra = ''): string {
  const s = snapshotWorld(world);
  const numbers = [s.physicsSteps, ...s.bodies, ...s.furniture, ...s.hand.local, s.hand.yaw, ...(s.grip?.numbers ?? [])];
  const f64 = new Float64Array(numbers.length);
  for (let i = 0; i < numbers.length; i++) {
    const x = numbers[i] ?? 0;
    f64[i] = x === 0 ? 0 : x;
  }
  const tail = new TextEncoder().encode(`|${s.grip?.object ?? ''}|${extra}`);
  const bytes = new Uint8Array(f64.byteLength + tail.byteLength);
  bytes.set(new Uint8Array(f64.buffer), 0);
  bytes.set(tail, f64.byteLength);
  return bytesToHex(sha256(bytes)).slice(0, 32);
}

describe('hashWorld', () => {
  const families: FamilyName[] = ['fetch', 'place-in', 'rearrange', 'search'];
  it.each(families)('matches the reference construction at every control step of an oracle %s episode', async (family) => {
    const env = familyEnv(family, { maxSteps: 12 });
    let checked = 0;
    let holding = 0;
    let mismatches = 0;
    env.onControlStep(() => {
      const world = env.world;
      if (hashWorld(world) !== hashWorldReference(world)) mismatches++;
      const extra = `step ${checked} é`;
      if (hashWorld(world, extra) !== hashWorldReference(world, extra)) mismatches++;
      if (world.robot.held) holding++;
      checked++;
    });
    await runEpisode({ env, planner: makePlanner('oracle', env), seed: 1_000_000 });
    expect(mismatches).toBe(0);
    expect(checked).toBeGreaterThan(20);
    if (family === 'fetch' || family === 'rearrange') expect(holding).toBeGreaterThan(0);
  });

  it('treats -0 as 0, as the reference does', () => {
    const env = familyEnv('fetch', { maxSteps: 4 });
    env.reset({ seed: 1_000_001 });
    const world = env.world;
    const before = hashWorld(world, 'x');
    world.robot.handYaw = world.robot.handYaw === 0 ? -0 : world.robot.handYaw;
    const moving = world.physics.bodies.find((b) => b.mass > 0);
    if (moving) moving.velocity.set(moving.velocity.x === 0 ? -0 : moving.velocity.x, moving.velocity.y, moving.velocity.z);
    expect(hashWorld(world, 'x')).toBe(hashWorldReference(world, 'x'));
    expect(hashWorld(world, 'x')).toBe(before);
  });
});
