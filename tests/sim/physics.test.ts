// Physics sanity on real cannon-es: things rest where they are put, containers contain, dropped things fall.
import { describe, expect, it } from 'vitest';
import { Env } from '../../sim/env.ts';
import { SimConfigError } from '../../sim/errors.ts';
import { relationOf } from '../../sim/relations.ts';
import { Sensor } from '../../sim/sensor.ts';
import { SkillExecutor } from '../../sim/skills.ts';
import { World } from '../../sim/world.ts';
import type { GoalTask } from '../../scenes/task.ts';
import { twoRooms } from '../fixtures/scenes.ts';

function settle(world: World, steps: number): void {
  for (let i = 0; i < steps; i++) world.stepPhysics();
}

function pos(world: World, id: string): [number, number, number] {
  const o = world.object(id);
  if (!o) throw new Error(`no ${id}`);
  return [o.body.position.x, o.body.position.y, o.body.position.z];
}

describe('physics sanity', () => {
  it('an object placed on a shelf stays there', () => {
    const world = new World(twoRooms());
    settle(world, 30);
    const before = pos(world, 'book_1');
    settle(world, 600); // 10 s
    const after = pos(world, 'book_1');
    expect(Math.hypot(after[0] - before[0], after[1] - before[1], after[2] - before[2])).toBeLessThan(0.005);
    expect(relationOf(world, world.object('book_1')!)).toEqual({ on_top_of: 'shelf_1' });
  });

  it('objects inside closed containers stay inside, also while doors and drawers move', () => {
    const world = new World(twoRooms());
    settle(world, 60);
    for (const id of ['cabinet_1', 'drawer_1', 'fridge_1']) world.setTargetOpenness(world.furniture(id)!, 1);
    settle(world, 120);
    for (const id of ['cabinet_1', 'drawer_1', 'fridge_1']) world.setTargetOpenness(world.furniture(id)!, 0);
    settle(world, 300);
    expect(relationOf(world, world.object('apple_1')!)).toEqual({ inside: 'cabinet_1' });
    expect(relationOf(world, world.object('can_1')!)).toEqual({ inside: 'drawer_1' });
    expect(relationOf(world, world.object('bottle_1')!)).toEqual({ inside: 'fridge_1' });
    // The can rode out and back with the drawer's tray.
    expect(world.furniture('drawer_1')!.openness).toBe(0);
  });

  it('a dropped object falls to the floor and rests there', () => {
    const world = new World(twoRooms());
    const mug = world.object('mug_1')!;
    mug.body.position.set(4, 1.5, 1); // in the air, over open floor
    mug.body.velocity.setZero();
    settle(world, 240);
    expect(mug.body.position.y).toBeCloseTo(0.05, 2);
    expect(relationOf(world, mug)).toEqual({});
  });

  it('the robot carries an object to another room and puts it inside an open container', () => {
    const world = new World(twoRooms());
    const skills = new SkillExecutor(world, new Sensor(world), 6);
    skills.look();
    expect(skills.execute({ kind: 'goto', target: 'book_1' })).toEqual({ ok: false, reason: 'not_visible', detail: 'book_1 has not been seen yet' });
    expect(skills.execute({ kind: 'goto', target: 'shelf_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'pick', object: 'book_1' })).toEqual({ ok: true });
    expect(world.robot.held?.id).toBe('book_1');
    expect(skills.execute({ kind: 'pick', object: 'mug_1' })).toMatchObject({ ok: false, reason: 'hands_full' });
    expect(skills.execute({ kind: 'goto', target: 'cabinet_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'place', object: 'book_1', receptacle: 'cabinet_1' })).toMatchObject({ ok: false, reason: 'container_closed' });
    expect(skills.execute({ kind: 'open', target: 'cabinet_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'place', object: 'book_1', receptacle: 'cabinet_1' })).toEqual({ ok: true });
    expect(world.robot.held).toBeNull();
    expect(relationOf(world, world.object('book_1')!)).toEqual({ inside: 'cabinet_1' });
    expect(skills.execute({ kind: 'place', object: 'book_1', receptacle: 'cabinet_1' })).toMatchObject({ ok: false, reason: 'not_holding' });
    expect(skills.pathLength).toBeGreaterThan(4);
  });

  it('a held object still collides with the world', () => {
    const world = new World(twoRooms());
    const skills = new SkillExecutor(world, new Sensor(world), 6);
    skills.look();
    expect(skills.execute({ kind: 'pick', object: 'mug_1' }).ok).toBe(true);
    const mug = world.object('mug_1')!;
    // Drop a book onto the carried mug: it lands on it instead of passing through.
    const book = world.object('book_1')!;
    book.body.position.set(mug.body.position.x, mug.body.position.y + 0.4, mug.body.position.z);
    book.body.velocity.setZero();
    settle(world, 90);
    expect(book.body.position.y).toBeGreaterThan(mug.body.position.y);
    expect(Math.abs(book.body.position.y - mug.body.position.y)).toBeLessThan(0.1);
  });

  it('rejects a control step that is not a whole number of physics steps', () => {
    const make = () => ({ description: twoRooms(), task: undefined as unknown as GoalTask });
    expect(() => new Env(make, { physicsDt: 1 / 60, controlDt: 0.105 })).toThrow(SimConfigError);
    expect(() => new Env(make, { physicsDt: 1 / 60, controlDt: 0.1 })).not.toThrow();
    expect(() => new World(twoRooms(), { physicsDt: 0.5 })).toThrow(SimConfigError);
  });
});
