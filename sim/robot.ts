// The embodiment: a velocity-controlled mobile base (a dynamic body that only yaws), an eye, and a gripper.
// The gripper is a kinematic "hand" body; a held object is tied to it by a LockConstraint, so it still collides
// with the world while carried. The hand's pose is given in the robot's frame (localPosition), so it rides along.
import * as CANNON from 'cannon-es';
import * as THREE from 'three';
import type { ObjectEntity } from './entities.ts';
import { forwardOf, rotateYaw, yawOfQuaternion } from './geometry.ts';
import type { Vec2 } from './description.ts';
import type { Vec3 } from './types.ts';
import { GROUP, MASK } from './collision.ts';

export const ROBOT = {
  radius: 0.25,
  height: 1.0,
  mass: 40,
  eyeHeight: 1.25,
  /** Horizontal reach from the base's centre to an object's centre, metres. */
  reach: 1.15,
  /** The highest an object's centre may be for the gripper to take it, metres above the floor. */
  reachHeight: 1.9,
  maxSpeed: 1.0,
  maxTurnRate: 2.0,
  /** Height of the carry tray (top of the base). */
  trayHeight: 1.02,
} as const;

/** The grip's constraint parameters, kept so that a restored grip is bit-identical to the original one. */
export interface GripState {
  object: string;
  numbers: number[];
}

export class Robot {
  readonly body: CANNON.Body;
  readonly hand: CANNON.Body;
  readonly view: THREE.Group;
  /** Commanded base velocity for the next physics steps: forward m/s and turn rad/s. */
  command = { forward: 0, turn: 0 };
  /** Hand pose in the robot's frame: position (x right, y up, z back) and yaw relative to the base. */
  handLocal: Vec3 = [0, ROBOT.trayHeight, 0];
  handYaw = 0;
  held: ObjectEntity | null = null;
  private grip: CANNON.LockConstraint | null = null;
  private readonly physics: CANNON.World;

  constructor(physics: CANNON.World, scene: THREE.Scene, position: Vec2, yaw: number, material: CANNON.Material) {
    this.physics = physics;
    const body = new CANNON.Body({ mass: ROBOT.mass, material, linearDamping: 0, angularDamping: 0 });
    // Two stacked spheres: round in every direction, so the base slides along walls instead of snagging.
    body.addShape(new CANNON.Sphere(ROBOT.radius), new CANNON.Vec3(0, ROBOT.radius, 0));
    body.addShape(new CANNON.Sphere(ROBOT.radius), new CANNON.Vec3(0, ROBOT.height - ROBOT.radius, 0));
    body.angularFactor.set(0, 1, 0);
    body.position.set(position[0], 0, position[1]);
    body.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, yaw);
    body.collisionFilterGroup = GROUP.ROBOT;
    body.collisionFilterMask = MASK.ROBOT;
    physics.addBody(body);
    this.body = body;

    const hand = new CANNON.Body({ type: CANNON.Body.KINEMATIC, mass: 0 });
    hand.collisionFilterGroup = 0;
    hand.collisionFilterMask = 0;
    physics.addBody(hand);
    this.hand = hand;
    this.placeHand();

    this.view = new THREE.Group();
    this.view.name = 'agent';
    const shell = new THREE.MeshStandardMaterial({ color: 0x9aa4b1 });
    for (const y of [ROBOT.radius, ROBOT.height - ROBOT.radius]) {
      const s = new THREE.Mesh(new THREE.SphereGeometry(ROBOT.radius, 20, 14), shell);
      s.position.y = y;
      this.view.add(s);
    }
    const eye = new THREE.Mesh(new THREE.BoxGeometry(0.2, 0.08, 0.08), new THREE.MeshStandardMaterial({ color: 0x1b1f24 }));
    eye.position.set(0, ROBOT.eyeHeight - 0.1, -0.12);
    this.view.add(eye);
    scene.add(this.view);
  }

  get yaw(): number {
    return yawOfQuaternion(this.body.quaternion);
  }

  get position(): Vec3 {
    return [this.body.position.x, this.body.position.y, this.body.position.z];
  }

  eye(): Vec3 {
    return [this.body.position.x, this.body.position.y + ROBOT.eyeHeight, this.body.position.z];
  }

  /** A world point in the robot's frame. */
  toLocal(p: Vec3): Vec3 {
    const [x, z] = rotateYaw(p[0] - this.body.position.x, p[2] - this.body.position.z, -this.yaw);
    return [x, p[1] - this.body.position.y, z];
  }

  /** Horizontal distance from the base's centre to a point. */
  horizontalDistance(p: Vec3): number {
    return Math.hypot(p[0] - this.body.position.x, p[2] - this.body.position.z);
  }

  /** Called before every physics step: drive the base and carry the hand along. */
  applyControl(dt: number): void {
    const yaw = this.yaw;
    const [fx, fz] = forwardOf(yaw);
    const v = this.command.forward;
    this.body.velocity.x = fx * v;
    this.body.velocity.z = fz * v;
    this.body.angularVelocity.set(0, this.command.turn, 0);
    // The hand moves with the base: give it the velocity that lands it on next step's pose.
    const next = this.handTarget(yaw + this.command.turn * dt, [
      this.body.position.x + fx * v * dt,
      this.body.position.y,
      this.body.position.z + fz * v * dt,
    ]);
    this.hand.velocity.set(
      (next[0] - this.hand.position.x) / dt,
      (next[1] - this.hand.position.y) / dt,
      (next[2] - this.hand.position.z) / dt,
    );
    this.hand.angularVelocity.set(0, this.command.turn, 0);
  }

  afterStep(): void {
    this.placeHand();
  }

  /** Put the hand exactly where its local pose says, relative to the base's current pose. */
  placeHand(): void {
    const yaw = this.yaw;
    const p = this.handTarget(yaw, this.position);
    this.hand.position.set(p[0], p[1], p[2]);
    this.hand.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, yaw + this.handYaw);
  }

  private handTarget(yaw: number, base: Vec3): Vec3 {
    const [x, z] = rotateYaw(this.handLocal[0], this.handLocal[2], yaw);
    return [base[0] + x, base[1] + this.handLocal[1], base[2] + z];
  }

  /** Tie an object to the hand: the hand jumps to the object's pose so the constraint starts relaxed. */
  attach(object: ObjectEntity): void {
    if (this.held) throw new Error(`already holding ${this.held.id}`);
    const b = object.body;
    this.handLocal = this.toLocal([b.position.x, b.position.y, b.position.z]);
    this.handYaw = yawOfQuaternion(b.quaternion) - this.yaw;
    this.hand.position.copy(b.position);
    this.hand.quaternion.copy(b.quaternion);
    this.grip = new CANNON.LockConstraint(this.hand, b, { maxForce: 1e4 });
    this.physics.addConstraint(this.grip);
    b.collisionFilterMask = MASK.HELD_OBJECT;
    this.held = object;
  }

  detach(): ObjectEntity | null {
    const object = this.held;
    if (!object) return null;
    if (this.grip) this.physics.removeConstraint(this.grip);
    this.grip = null;
    object.body.collisionFilterMask = MASK.OBJECT;
    object.body.collisionResponse = true;
    this.held = null;
    return object;
  }

  /** Move the hand (and what it holds) by up to `maxStep` metres towards a local target; true when there. */
  moveHandTowards(target: Vec3, maxStep: number): boolean {
    const d: Vec3 = [target[0] - this.handLocal[0], target[1] - this.handLocal[1], target[2] - this.handLocal[2]];
    const len = Math.hypot(d[0], d[1], d[2]);
    if (len <= maxStep) {
      this.handLocal = [target[0], target[1], target[2]];
      return true;
    }
    const s = maxStep / len;
    this.handLocal = [this.handLocal[0] + d[0] * s, this.handLocal[1] + d[1] * s, this.handLocal[2] + d[2] * s];
    return false;
  }

  gripState(): GripState | null {
    const g = this.grip;
    if (!g || !this.held) return null;
    const numbers: number[] = [];
    for (const v of [g.pivotA, g.pivotB, g.xA, g.xB, g.yA, g.yB, g.zA, g.zB]) numbers.push(v.x, v.y, v.z);
    return { object: this.held.id, numbers };
  }

  restoreGrip(state: GripState | null, objectOf: (id: string) => ObjectEntity | undefined): void {
    if (this.grip) this.physics.removeConstraint(this.grip);
    if (this.held) this.held.body.collisionFilterMask = MASK.OBJECT;
    this.grip = null;
    this.held = null;
    if (!state) return;
    const object = objectOf(state.object);
    if (!object) throw new Error(`snapshot holds unknown object ${state.object}`);
    const g = new CANNON.LockConstraint(this.hand, object.body, { maxForce: 1e4 });
    const n = state.numbers;
    [g.pivotA, g.pivotB, g.xA, g.xB, g.yA, g.yB, g.zA, g.zB].forEach((v, i) => {
      v.set(n[i * 3] ?? 0, n[i * 3 + 1] ?? 0, n[i * 3 + 2] ?? 0);
    });
    this.physics.addConstraint(g);
    object.body.collisionFilterMask = MASK.HELD_OBJECT;
    this.grip = g;
    this.held = object;
  }

  syncView(): void {
    this.view.position.set(this.body.position.x, this.body.position.y, this.body.position.z);
    const q = this.body.quaternion;
    this.view.quaternion.set(q.x, q.y, q.z, q.w);
  }
}
