// Perception: the frustum and occlusion rays report what the agent can really see, with correct ids.
import { describe, expect, it } from 'vitest';
import * as CANNON from 'cannon-es';
import { Sensor } from '../../sim/sensor.ts';
import { SkillExecutor } from '../../sim/skills.ts';
import { World } from '../../sim/world.ts';
import { twoRooms } from '../fixtures/scenes.ts';

/** Put the robot at (x, z) looking at the point (tx, tz). */
function stand(world: World, x: number, z: number, tx: number, tz: number): void {
  const body = world.robot.body;
  body.position.set(x, 0, z);
  body.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, Math.atan2(-(tx - x), -(tz - z)));
  world.robot.placeHand();
}

const seen = (sensor: Sensor): string[] => sensor.sense().map((s) => s.entity.id);

describe('perception', () => {
  it('reports visible entities with their true ids, categories and colours', () => {
    const world = new World(twoRooms());
    const sensor = new Sensor(world);
    stand(world, 2.5, 3.2, 2.5, 2);
    const sightings = sensor.sense();
    const mug = sightings.find((s) => s.entity.id === 'mug_1');
    expect(mug?.entity.category).toBe('mug');
    expect(mug?.entity.color).toBe('red');
    expect(sightings.map((s) => s.entity.id)).toContain('table_1');
    // Nearest first, distances consistent with the geometry.
    const d = sightings.map((s) => s.distance);
    expect([...d].sort((a, b) => a - b)).toEqual(d);
    const m = world.object('mug_1')!.body.position;
    expect(mug?.distance).toBeCloseTo(Math.hypot(m.x - 2.5, m.y - 1.25, m.z - 3.2), 5);
  });

  it('does not see what is behind the agent', () => {
    const world = new World(twoRooms());
    const sensor = new Sensor(world);
    stand(world, 2.5, 3.2, 2.5, 4.5); // facing away from the table
    expect(seen(sensor)).not.toContain('mug_1');
    stand(world, 2.5, 3.2, 2.5, 2);
    expect(seen(sensor)).toContain('mug_1');
  });

  it('does not see through walls', () => {
    const world = new World(twoRooms());
    const sensor = new Sensor(world);
    // In the kitchen, looking east at the living room's mat through the wall (the doorway is at z 1.5-2.5).
    stand(world, 4.2, 3.0, 8, 3);
    expect(seen(sensor)).not.toContain('mat_1');
    // From the doorway it is in plain sight.
    stand(world, 5.4, 2.0, 8, 3);
    expect(seen(sensor)).toContain('mat_1');
  });

  it('does not see inside closed containers, and does once they are open', () => {
    const world = new World(twoRooms());
    const sensor = new Sensor(world);
    stand(world, 1.0, 1.35, 1.0, 0.3); // in front of the cabinet
    expect(seen(sensor)).toContain('cabinet_1');
    expect(seen(sensor)).not.toContain('apple_1');
    world.setTargetOpenness(world.furniture('cabinet_1')!, 1);
    for (let i = 0; i < 90; i++) world.stepPhysics();
    stand(world, 1.0, 1.35, 1.0, 0.3);
    expect(seen(sensor)).toContain('apple_1');
  });

  it('goto fails for objects never seen, and the same object becomes reachable once seen', () => {
    const world = new World(twoRooms());
    const skills = new SkillExecutor(world, new Sensor(world), 6);
    expect(skills.execute({ kind: 'goto', target: 'bottle_1' })).toMatchObject({ ok: false, reason: 'not_visible' });
    expect(skills.execute({ kind: 'goto', target: 'nothing_9' })).toMatchObject({ ok: false, reason: 'unknown_entity' });
    expect(skills.execute({ kind: 'goto', target: 'fridge_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'pick', object: 'bottle_1' })).toMatchObject({ ok: false, reason: 'container_closed' });
    expect(skills.execute({ kind: 'open', target: 'fridge_1' }).ok).toBe(true);
    expect(skills.execute({ kind: 'goto', target: 'fridge_1' }).ok).toBe(true);
    expect(skills.known.has('bottle_1')).toBe(true);
    expect(skills.execute({ kind: 'pick', object: 'bottle_1' })).toEqual({ ok: true });
  });
});
