// Skills: closed-loop controllers that run whole control steps of physics and return an Outcome.
// Preconditions are checked first and reported as typed failures. The base drives, doors swing, drawers slide and
// placed objects fall onto their surface; only the arm is abstract (the hand moves through space, and the object
// it lifts or lowers passes through things until it is on the tray or let go).
import { ROBOT } from './robot.ts';
import type { Entity, FurnitureEntity, ObjectEntity } from './entities.ts';
import { forwardOf, rotateYaw, wrapAngle } from './geometry.ts';
import { buildGrid, planPath, type Waypoint } from './nav.ts';
import { findSpots } from './placement.ts';
import { goalRegion, sweepBoxes } from './regions.ts';
import { centerOf, closedContainerAround, isOpen, relationOf } from './relations.ts';
import type { Sensor, Sighting } from './sensor.ts';
import { assertNever, type Action, type FailureReason, type Outcome, type Vec3 } from './types.ts';
import { World } from './world.ts';

export interface SkillLimits {
  /** Longest a goto may drive, seconds of simulated time. */
  gotoSeconds: number;
}

const DEFAULT_LIMITS: SkillLimits = { gotoSeconds: 90 };
const HAND_SPEED = 1.2; // m/s
const SETTLE_SECONDS = 0.5;

const ok = (detail?: string): Outcome => (detail ? { ok: true, detail } : { ok: true });
const fail = (reason: FailureReason, detail: string): Outcome => ({ ok: false, reason, detail });

export class SkillExecutor {
  readonly world: World;
  readonly sensor: Sensor;
  readonly physicsPerControl: number;
  readonly limits: SkillLimits;
  /** Entities the agent has seen this episode: objects must be seen before one can go to them. */
  readonly known = new Set<string>();
  /** The latest sighting of each entity seen since the last takeGlimpses (looks during an action included). */
  private readonly glimpses = new Map<string, Sighting>();
  /** Metres the base travelled, for path-length metrics. */
  pathLength = 0;
  /** Called after every control step (recorders sample the world here); must not change the world. */
  onControlStep: (() => void) | null = null;

  constructor(world: World, sensor: Sensor, physicsPerControl: number, limits: Partial<SkillLimits> = {}) {
    this.world = world;
    this.sensor = sensor;
    this.physicsPerControl = physicsPerControl;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get controlDt(): number {
    return this.physicsPerControl * this.world.physicsDt;
  }

  /** Run one control step with the current commands. */
  controlStep(): void {
    const before = this.world.robot.position;
    for (let i = 0; i < this.physicsPerControl; i++) this.world.stepPhysics();
    const after = this.world.robot.position;
    this.pathLength += Math.hypot(after[0] - before[0], after[2] - before[2]);
    this.onControlStep?.();
  }

  private settle(seconds = SETTLE_SECONDS): void {
    const r = this.world.robot;
    r.command = { forward: 0, turn: 0 };
    const steps = Math.max(1, Math.round(seconds / this.controlDt));
    for (let i = 0; i < steps; i++) this.controlStep();
  }

  execute(action: Action): Outcome {
    const robot = this.world.robot;
    robot.command = { forward: 0, turn: 0 };
    let outcome: Outcome;
    switch (action.kind) {
      case 'goto':
        outcome = this.goto(action.target);
        break;
      case 'pick':
        outcome = this.pick(action.object);
        break;
      case 'place':
        outcome = this.place(action.object, action.receptacle);
        break;
      case 'open':
        outcome = this.setOpen(action.target, true);
        break;
      case 'close':
        outcome = this.setOpen(action.target, false);
        break;
      case 'toggle':
        outcome = this.toggle(action.target);
        break;
      case 'say':
      case 'done':
        this.controlStep();
        outcome = ok();
        break;
      case 'move':
        outcome = this.move(action.forward, action.turn);
        break;
      case 'grasp':
        outcome = this.grasp();
        break;
      case 'release':
        outcome = this.release();
        break;
      default:
        return assertNever(action, 'action');
    }
    robot.command = { forward: 0, turn: 0 };
    return outcome;
  }

  /** Look around: everything currently visible becomes known. */
  look(): ReturnType<Sensor['sense']> {
    const seen = this.sensor.sense();
    for (const s of seen) {
      this.known.add(s.entity.id);
      this.glimpses.set(s.entity.id, s);
    }
    return seen;
  }

  /** What was seen since the last call (the looks an action takes on its way: a scan along a shelf, say), each as
   *  last seen, in the order first seen; forgets them. */
  takeGlimpses(): Sighting[] {
    const out = [...this.glimpses.values()];
    this.glimpses.clear();
    return out;
  }

  private lookup(id: string): Entity | Outcome {
    const e = this.world.entity(id);
    return e ?? fail('unknown_entity', `there is no entity "${id}"`);
  }

  // ---- goto ----------------------------------------------------------------------------------------------

  goto(id: string): Outcome {
    const e = this.lookup(id);
    if ('ok' in e) return e;
    if (e.kind === 'object' && this.world.robot.held === e) return fail('not_applicable', `already holding ${id}`);
    if (e.kind === 'object' && !this.known.has(id)) return fail('not_visible', `${id} has not been seen yet`);
    if (e.kind === 'object') {
      const container = closedContainerAround(this.world, e);
      if (container) return fail('container_closed', `${id} is inside ${container.id}, which is closed`);
    }
    const robot = this.world.robot;
    const region = goalRegion(this.world, e);
    const maxSteps = Math.round(this.limits.gotoSeconds / this.controlDt);
    let steps = 0;
    let replans = 0;
    const extra = e.kind === 'furniture' ? sweepBoxes(this.world, e) : [];
    while (replans < 4) {
      const grid = buildGrid(this.world, extra);
      const here = robot.position;
      const path = planPath(grid, here[0], here[2], region);
      if (!path) return fail('path_blocked', `no free path to ${id}`);
      const result = this.follow(path, maxSteps - steps);
      steps += result.steps;
      if (result.arrived) break;
      if (steps >= maxSteps) return fail('timeout', `did not reach ${id} within ${this.limits.gotoSeconds} s`);
      replans++;
    }
    if (replans >= 4) return fail('path_blocked', `stuck on the way to ${id}`);
    this.face(centerOf(e));
    this.look();
    if (e.kind === 'furniture') this.scan(e);
    return ok();
  }

  /** Drive along waypoints (pure pursuit). Stops early when stuck. */
  private follow(path: Waypoint[], budget: number): { arrived: boolean; steps: number } {
    const robot = this.world.robot;
    let steps = 0;
    let target = 0;
    let lastProgressAt = 0;
    let best = Infinity;
    while (target < path.length && steps < budget) {
      const wp = path[target] as Waypoint;
      const p = robot.position;
      const dx = wp[0] - p[0];
      const dz = wp[1] - p[2];
      const dist = Math.hypot(dx, dz);
      const last = target === path.length - 1;
      if (dist < (last ? 0.06 : 0.2)) {
        target++;
        best = Infinity;
        lastProgressAt = steps;
        continue;
      }
      const heading = Math.atan2(-dx, -dz);
      const err = wrapAngle(heading - robot.yaw);
      const turn = clamp(err * 3, -ROBOT.maxTurnRate, ROBOT.maxTurnRate);
      const forward = Math.abs(err) > 0.6 ? 0 : ROBOT.maxSpeed * Math.min(1, dist / 0.5 + 0.25) * Math.cos(err);
      robot.command = { forward, turn };
      this.controlStep();
      steps++;
      if (dist < best - 0.02) {
        best = dist;
        lastProgressAt = steps;
      } else if (steps - lastProgressAt > 30) {
        robot.command = { forward: 0, turn: 0 };
        return { arrived: false, steps };
      }
    }
    robot.command = { forward: 0, turn: 0 };
    return { arrived: target >= path.length, steps };
  }

  /** Look along a piece of furniture, end to end, then face its middle again: close up, it is wider than the view. */
  private scan(f: FurnitureEntity): void {
    const w = f.desc.size[0];
    if (w < 0.9) return;
    for (const side of [-1, 1]) this.face(this.world.furnitureToWorld(f, (side * w) / 2, 0, 0));
    this.face(f.center);
    this.look();
  }

  /** Turn in place to look at a point. */
  private face(point: Vec3): void {
    const robot = this.world.robot;
    for (let i = 0; i < 60; i++) {
      const p = robot.position;
      const heading = Math.atan2(-(point[0] - p[0]), -(point[2] - p[2]));
      const err = wrapAngle(heading - robot.yaw);
      if (Math.abs(err) < 0.05) break;
      robot.command = { forward: 0, turn: clamp(err * 4, -ROBOT.maxTurnRate, ROBOT.maxTurnRate) };
      this.controlStep();
    }
    robot.command = { forward: 0, turn: 0 };
    this.look();
  }

  // ---- manipulation ----------------------------------------------------------------------------------------

  private isVisibleNow(id: string): boolean {
    return this.look().some((s) => s.entity.id === id);
  }

  /** Carry pose of the hand for an object: centred on the tray. */
  private carryPose(o: ObjectEntity): Vec3 {
    return [0, ROBOT.trayHeight + o.halfHeight + 0.015, 0];
  }

  /** Move the hand through local waypoints, turning it (and what it holds) to `handYaw` on the way. */
  private moveHand(waypoints: Vec3[], handYaw?: number): void {
    const robot = this.world.robot;
    const stepLen = HAND_SPEED * this.controlDt;
    const turnStep = 2.5 * this.controlDt;
    const turn = (): void => {
      if (handYaw === undefined) return;
      const delta = wrapAngle(handYaw - robot.handYaw);
      robot.handYaw = Math.abs(delta) <= turnStep ? handYaw : robot.handYaw + Math.sign(delta) * turnStep;
    };
    for (const wp of waypoints) {
      let guard = 0;
      for (;;) {
        turn();
        if (robot.moveHandTowards(wp, stepLen) || guard++ >= 200) break;
        this.controlStep();
      }
      this.controlStep();
    }
  }

  pick(id: string): Outcome {
    const e = this.lookup(id);
    if ('ok' in e) return e;
    if (e.kind !== 'object') return fail('not_applicable', `${id} is a ${e.category}, not something one can pick up`);
    const robot = this.world.robot;
    if (robot.held === e) return fail('not_applicable', `already holding ${id}`);
    if (robot.held) return fail('hands_full', `already holding ${robot.held.id}`);
    const container = closedContainerAround(this.world, e);
    if (container && !this.isVisibleNow(id)) return fail('container_closed', `${id} is inside ${container.id}, which is closed`);
    if (!this.isVisibleNow(id)) return fail('not_visible', `${id} is not in view`);
    const c = centerOf(e);
    if (robot.horizontalDistance(c) > ROBOT.reach || c[1] > ROBOT.reachHeight) return fail('out_of_reach', `${id} is ${robot.horizontalDistance(c).toFixed(2)} m away; reach is ${ROBOT.reach} m`);
    return this.grab(e);
  }

  private grab(o: ObjectEntity): Outcome {
    const robot = this.world.robot;
    // The arm lifts the object straight up, then draws it back over the tray; it passes through nothing.
    o.body.collisionResponse = false;
    robot.attach(o);
    const start = robot.handLocal;
    const carry = this.carryPose(o);
    const lift: Vec3 = [start[0], start[1] + 0.04, start[2]];
    const out: Vec3 = [start[0] * 0.35, Math.max(lift[1], carry[1]), start[2] * 0.35];
    this.moveHand([lift, out, carry]);
    o.body.collisionResponse = true;
    this.settle(0.2);
    return ok();
  }

  place(objectId: string, receptacleId: string): Outcome {
    const o = this.lookup(objectId);
    if ('ok' in o) return o;
    const r = this.lookup(receptacleId);
    if ('ok' in r) return r;
    const robot = this.world.robot;
    if (o.kind !== 'object') return fail('not_applicable', `${objectId} is not an object`);
    if (robot.held !== o) return fail('not_holding', robot.held ? `holding ${robot.held.id}, not ${objectId}` : `not holding ${objectId}`);
    if (r.kind === 'object') return fail('not_applicable', `cannot put things on ${receptacleId}`);
    if (r.kind === 'furniture' && r.model.part && !isOpen(r)) return fail('container_closed', `${receptacleId} is closed`);
    const { spots, reason, detail } = findSpots(this.world, o, r);
    const spot = spots[0];
    if (reason || !spot) return fail(reason ?? 'no_space', detail);
    const target = robot.toLocal(spot.position);
    const carry = robot.handLocal;
    const high = Math.max(carry[1], target[1] + 0.1);
    const waypoints: Vec3[] = [];
    if (spot.surface.kind === 'in') {
      // Go in through the front opening: line up in front of the spot at its height, then slide in.
      const f = r as FurnitureEntity;
      const d = f.desc.size[2];
      const [fx, fz] = rotateYaw(0, d / 2 + 0.15, f.yaw);
      const local = this.world.worldToFurniture(f, spot.position);
      const [sx, sz] = rotateYaw(local[0], 0, f.yaw);
      const front: Vec3 = [f.desc.position[0] + sx + fx, target[1] + 0.02, f.desc.position[1] + sz + fz];
      const frontLocal = robot.toLocal(front);
      waypoints.push([carry[0] * 0.5 + frontLocal[0] * 0.5, high, carry[2] * 0.5 + frontLocal[2] * 0.5], frontLocal);
    } else {
      waypoints.push([target[0], high, target[2]]);
    }
    waypoints.push(target);
    o.body.collisionResponse = false;
    this.moveHand(waypoints, wrapAngle(spot.yaw - robot.yaw));
    o.body.collisionResponse = true;
    robot.detach();
    o.body.velocity.setZero();
    o.body.angularVelocity.setZero();
    robot.handLocal = [0, ROBOT.trayHeight, 0];
    robot.handYaw = 0;
    robot.placeHand();
    this.settle();
    const rel = relationOf(this.world, o);
    if (rel.on_top_of !== receptacleId && rel.inside !== receptacleId) {
      return fail('no_space', `${objectId} did not come to rest on ${receptacleId}`);
    }
    return ok();
  }

  private setOpen(id: string, open: boolean): Outcome {
    const e = this.lookup(id);
    if ('ok' in e) return e;
    if (e.kind !== 'furniture' || !e.model.part) return fail('not_applicable', `${id} cannot be ${open ? 'opened' : 'closed'}`);
    const [, h, d] = e.desc.size;
    const handle = this.world.furnitureToWorld(e, 0, h / 2, d / 2 + (open ? 0 : this.frontReach(e)));
    const robot = this.world.robot;
    const dist = robot.horizontalDistance(handle);
    if (dist > ROBOT.reach + 0.35) return fail('out_of_reach', `${id} is ${dist.toFixed(2)} m away`);
    if (open === isOpen(e) && e.openness === e.targetOpenness) return ok(open ? 'already open' : 'already closed');
    this.world.setTargetOpenness(e, open ? 1 : 0);
    // Twice the time a full swing takes, as a guard.
    const limit = Math.ceil(2 / (World.PART_SPEED * this.controlDt));
    for (let i = 0; i < limit && e.openness !== e.targetOpenness; i++) this.controlStep();
    this.settle(0.2);
    this.look();
    return ok();
  }

  /** How far the part's front reaches out when open (for reach checks when closing). */
  private frontReach(f: FurnitureEntity): number {
    const part = f.model.part;
    if (!part) return 0;
    return part.kind === 'slide' ? part.travel : f.desc.size[0] / 2;
  }

  private toggle(id: string): Outcome {
    const e = this.lookup(id);
    if ('ok' in e) return e;
    if (e.kind !== 'furniture' || !e.model.switchable) return fail('not_applicable', `${id} has no switch`);
    const dist = this.world.robot.horizontalDistance(e.center);
    if (dist > ROBOT.reach + 0.5) return fail('out_of_reach', `${id} is ${dist.toFixed(2)} m away`);
    e.on = !e.on;
    this.controlStep();
    return ok(e.on ? 'now on' : 'now off');
  }

  private move(forward: number, turn: number): Outcome {
    const robot = this.world.robot;
    robot.command = { forward: clamp(forward, -1, 1) * ROBOT.maxSpeed, turn: clamp(turn, -1, 1) * ROBOT.maxTurnRate };
    this.controlStep();
    robot.command = { forward: 0, turn: 0 };
    this.look();
    return ok();
  }

  private grasp(): Outcome {
    const robot = this.world.robot;
    if (robot.held) return fail('hands_full', `already holding ${robot.held.id}`);
    const seen = this.look().filter((s) => s.entity.kind === 'object' && Math.abs(s.bearing) < Math.PI / 4);
    if (seen.length === 0) return fail('not_visible', 'no object in front');
    const inReach = seen.find((s) => robot.horizontalDistance(s.center) <= ROBOT.reach && s.center[1] < ROBOT.reachHeight);
    if (!inReach || inReach.entity.kind !== 'object') return fail('out_of_reach', `nearest object in front is ${seen[0]?.entity.id}, out of reach`);
    return this.grab(inReach.entity);
  }

  private release(): Outcome {
    const robot = this.world.robot;
    const o = robot.held;
    if (!o) return fail('not_holding', 'holding nothing');
    const [fx, fz] = forwardOf(0);
    o.body.collisionResponse = false;
    this.moveHand([[fx * 0.55, robot.handLocal[1], fz * 0.55]]);
    o.body.collisionResponse = true;
    robot.detach();
    robot.handLocal = [0, ROBOT.trayHeight, 0];
    robot.handYaw = 0;
    robot.placeHand();
    this.settle();
    return ok();
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
