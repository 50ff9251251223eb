// Skills beyond the happy path: low-level actions, switches, and typed failures for actions that do not apply.
import { describe, expect, it } from 'vitest';
import { Sensor } from '../../sim/sensor.ts';
import { SkillExecutor } from '../../sim/skills.ts';
import { World } from '../../sim/world.ts';
import { twoRooms } from '../fixtures/scenes.ts';

function setup(): { world: World; skills: SkillExecutor } {
  const world = new World(twoRooms());
  const skills = new SkillExecutor(world, new Sensor(world), 6);
  skills.look();
  return { world, skills };
}

describe('skills', () => {
  it('move drives the base for exactly one control step', () => {
    const { world, skills } = setup();
    const before = world.robot.position;
    const steps = world.physicsSteps;
    expect(skills.execute({ kind: 'move', forward: 1, turn: 0 })).toEqual({ ok: true });
    expect(world.physicsSteps - steps).toBe(6);
    const after = world.robot.position;
    // Yaw 0 looks along -z; full speed is 1 m/s for 0.1 s.
    expect(after[2] - before[2]).toBeCloseTo(-0.1, 2);
    expect(Math.abs(after[0] - before[0])).toBeLessThan(0.005);
    const yaw = world.robot.yaw;
    skills.execute({ kind: 'move', forward: 0, turn: -0.5 });
    expect(world.robot.yaw - yaw).toBeCloseTo(-0.1, 2);
  });

  it('grasp takes the object in front and release drops it in front', () => {
    const { world, skills } = setup();
    expect(skills.execute({ kind: 'release' })).toMatchObject({ ok: false, reason: 'not_holding' });
    skills.execute({ kind: 'goto', target: 'table_1' });
    expect(skills.execute({ kind: 'grasp' })).toEqual({ ok: true });
    expect(world.robot.held?.id).toBe('mug_1');
    expect(skills.execute({ kind: 'grasp' })).toMatchObject({ ok: false, reason: 'hands_full' });
    expect(skills.execute({ kind: 'release' })).toEqual({ ok: true });
    expect(world.robot.held).toBeNull();
    const mug = world.object('mug_1')!;
    expect(mug.body.position.y).toBeLessThan(0.85); // on the table or the floor, no longer on the tray
  });

  it('toggles switchable things within reach', () => {
    const { world, skills } = setup();
    expect(skills.execute({ kind: 'toggle', target: 'lamp_1' })).toMatchObject({ ok: false, reason: 'out_of_reach' });
    expect(skills.execute({ kind: 'toggle', target: 'table_1' })).toMatchObject({ ok: false, reason: 'not_applicable' });
    expect(skills.execute({ kind: 'goto', target: 'lamp_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'toggle', target: 'lamp_1' })).toEqual({ ok: true, detail: 'now on' });
    expect(world.furniture('lamp_1')?.on).toBe(true);
  });

  it('gives typed failures for actions that do not apply', () => {
    const { skills } = setup();
    expect(skills.execute({ kind: 'open', target: 'table_1' })).toMatchObject({ ok: false, reason: 'not_applicable' });
    expect(skills.execute({ kind: 'open', target: 'fridge_1' })).toMatchObject({ ok: false, reason: 'out_of_reach' });
    expect(skills.execute({ kind: 'pick', object: 'table_1' })).toMatchObject({ ok: false, reason: 'not_applicable' });
    expect(skills.execute({ kind: 'pick', object: 'book_1' })).toMatchObject({ ok: false, reason: 'not_visible' });
    expect(skills.execute({ kind: 'pick', object: 'ghost_1' })).toMatchObject({ ok: false, reason: 'unknown_entity' });
    expect(skills.execute({ kind: 'goto', target: 'table_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'pick', object: 'mug_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'place', object: 'mug_1', receptacle: 'apple_1' })).toMatchObject({ ok: false, reason: 'not_applicable' });
    expect(skills.execute({ kind: 'place', object: 'mug_1', receptacle: 'lamp_1' })).toMatchObject({ ok: false, reason: 'not_applicable' });
    expect(skills.execute({ kind: 'place', object: 'mug_1', receptacle: 'mat_1' })).toMatchObject({ ok: false, reason: 'out_of_reach' });
    expect(skills.execute({ kind: 'goto', target: 'mug_1' })).toMatchObject({ ok: false, reason: 'not_applicable' });
  });

  it('reports a path as blocked when the goal cannot be reached', () => {
    const description = twoRooms();
    description.doorways = []; // the living room is sealed off
    const world = new World(description);
    const skills = new SkillExecutor(world, new Sensor(world), 6);
    expect(skills.execute({ kind: 'goto', target: 'shelf_1' })).toMatchObject({ ok: false, reason: 'path_blocked' });
  });
});

describe('the env', () => {
  it('turns malformed actions from code into failed outcomes without running physics', async () => {
    const { familyEnv } = await import('../../scenes/env.ts');
    const env = familyEnv('goto', { maxSteps: 5 });
    env.reset({ seed: 1_000_000 });
    const before = env.world.physicsSteps;
    const hash = env.stateHash();
    const bad = [
      { kind: 'move', forward: Number.NaN, turn: 0 },
      { kind: 'move', forward: 2, turn: 0 },
      { kind: 'goto', target: 42 },
      { kind: 'fly' },
    ] as unknown as Parameters<typeof env.step>[0][];
    for (const action of bad) {
      const r = env.step(action);
      expect(r.info.outcome).toMatchObject({ ok: false, reason: 'invalid_action' });
      expect(r.info.actionPhysicsSteps).toBe(0);
    }
    expect(env.world.physicsSteps).toBe(before);
    expect(env.stateHash()).not.toBe(hash); // the step counter moved on
    expect(Number.isFinite(env.world.robot.position[0])).toBe(true);
  });
});
