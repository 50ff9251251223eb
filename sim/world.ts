// The World: a cannon-es physics world and a three.js scene kept in step with it, built from a
// SceneDescription. Every entity has a stable id. Physics advances only through stepPhysics(), one fixed step
// at a time, so that a run is a pure function of the description and the actions (no wall clock anywhere).
import * as CANNON from 'cannon-es';
import * as THREE from 'three';
import {
  MAX_HOUSE_SPAN,
  type FurnitureDescription,
  type MarkerDescription,
  type ObjectDescription,
  type PlacementDescription,
  type SceneDescription,
} from './description.ts';
import type { Entity, FurnitureEntity, MarkerEntity, ObjectEntity } from './entities.ts';
import { SceneError, SimConfigError } from './errors.ts';
import { furnitureModel, type LocalBox, type Surface } from './furniture.ts';
import { rotateYaw, yawOfQuaternion } from './geometry.ts';
import { COLOR_HEX } from './palette.ts';
import { Robot } from './robot.ts';
import { GROUP, MASK } from './collision.ts';
import { buildWalls, type WallBox } from './walls.ts';
import type { EntityId, Vec3 } from './types.ts';

export interface WorldOptions {
  /** Fixed physics step, seconds. */
  physicsDt?: number;
  solverIterations?: number;
}

export const DEFAULT_PHYSICS_DT = 1 / 60;

/** A furniture surface placed in the world: centre, yaw and half extents. */
export interface WorldSurface {
  owner: EntityId;
  kind: 'on' | 'in';
  level: number;
  center: Vec3;
  yaw: number;
  half: [number, number];
}

/** An occluding box in the world, rotated about +y only. */
export interface OccluderBox {
  owner: EntityId | null;
  center: Vec3;
  half: Vec3;
  yaw: number;
}

const WALL_HEIGHT = 2.4;
const SETTLE_GAP = 0.002;

export class World {
  readonly physics: CANNON.World;
  readonly scene: THREE.Scene;
  readonly description: SceneDescription;
  readonly physicsDt: number;
  readonly robot: Robot;
  /** Entities in description order (furniture, markers, objects): the order of every hash and snapshot. */
  readonly entityList: Entity[] = [];
  readonly walls: WallBox[];
  private readonly byId = new Map<EntityId, Entity>();
  private readonly materials: { floor: CANNON.Material; robot: CANNON.Material; object: CANNON.Material };
  /** Physics steps taken since construction. */
  physicsSteps = 0;

  constructor(description: SceneDescription, options: WorldOptions = {}) {
    this.description = description;
    this.physicsDt = options.physicsDt ?? DEFAULT_PHYSICS_DT;
    if (!(this.physicsDt > 0 && this.physicsDt <= 0.05)) {
      throw new SimConfigError(`physicsDt must be in (0, 0.05] seconds, got ${this.physicsDt}`);
    }
    this.physics = new CANNON.World({ gravity: new CANNON.Vec3(0, -9.81, 0) });
    // A stateless broadphase: SAP keeps a sorted list between steps, which would be hidden state.
    this.physics.broadphase = new CANNON.NaiveBroadphase();
    this.physics.allowSleep = false;
    const solver = new CANNON.GSSolver();
    solver.iterations = options.solverIterations ?? 10;
    this.physics.solver = solver;
    this.materials = {
      floor: new CANNON.Material('floor'),
      robot: new CANNON.Material('robot'),
      object: new CANNON.Material('object'),
    };
    const m = this.materials;
    this.physics.defaultContactMaterial.friction = 0.5;
    this.physics.defaultContactMaterial.restitution = 0;
    // The robot's base is velocity-controlled: it must glide, not grip.
    this.physics.addContactMaterial(new CANNON.ContactMaterial(m.robot, m.floor, { friction: 0, restitution: 0 }));
    this.physics.addContactMaterial(new CANNON.ContactMaterial(m.robot, m.object, { friction: 0.1, restitution: 0 }));
    this.physics.addContactMaterial(new CANNON.ContactMaterial(m.object, m.floor, { friction: 0.6, restitution: 0 }));
    this.physics.addContactMaterial(new CANNON.ContactMaterial(m.object, m.object, { friction: 0.6, restitution: 0 }));

    const xs = description.rooms.flatMap((r) => [r.min[0], r.max[0]]);
    const zs = description.rooms.flatMap((r) => [r.min[1], r.max[1]]);
    if (xs.length === 0) throw new SceneError('rooms', 'a scene needs at least one room');
    if (Math.max(...xs) - Math.min(...xs) > MAX_HOUSE_SPAN || Math.max(...zs) - Math.min(...zs) > MAX_HOUSE_SPAN) {
      throw new SceneError('rooms', `a house spans at most ${MAX_HOUSE_SPAN} m each way`);
    }
    this.scene = new THREE.Scene();
    this.scene.name = description.name ?? 'scene';
    this.addFloor();
    this.walls = buildWalls(description.rooms, description.doorways, WALL_HEIGHT);
    this.addWalls();
    description.furniture.forEach((f, i) => this.addFurniture(f, i));
    description.markers.forEach((mk, i) => this.addMarker(mk, i));
    description.objects.forEach((o, i) => this.addObject(o, i));
    this.robot = new Robot(this.physics, this.scene, description.agent.position, description.agent.yaw, m.robot);
    this.syncScene();
  }

  // ---- queries -------------------------------------------------------------------------------------------

  entity(id: EntityId): Entity | undefined {
    return this.byId.get(id);
  }

  object(id: EntityId): ObjectEntity | undefined {
    const e = this.byId.get(id);
    return e?.kind === 'object' ? e : undefined;
  }

  furniture(id: EntityId): FurnitureEntity | undefined {
    const e = this.byId.get(id);
    return e?.kind === 'furniture' ? e : undefined;
  }

  /** The id of the room containing the floor point (x, z), or 'outside'. */
  roomAt(x: number, z: number): string {
    for (const r of this.description.rooms) {
      if (x >= r.min[0] && x <= r.max[0] && z >= r.min[1] && z <= r.max[1]) return r.id;
    }
    return 'outside';
  }

  /** Local (furniture frame) point to world. */
  furnitureToWorld(f: FurnitureEntity, x: number, y: number, z: number): Vec3 {
    const [wx, wz] = rotateYaw(x, z, f.yaw);
    return [f.desc.position[0] + wx, y, f.desc.position[1] + wz];
  }

  /** World point to the furniture's local frame. */
  worldToFurniture(f: FurnitureEntity, p: Vec3): Vec3 {
    const [lx, lz] = rotateYaw(p[0] - f.desc.position[0], p[2] - f.desc.position[1], -f.yaw);
    return [lx, p[1], lz];
  }

  /** Offset of the moving part along local +z (drawers), for surfaces carried by it. */
  partSlide(f: FurnitureEntity): number {
    return f.model.part?.kind === 'slide' ? f.openness * f.model.part.travel : 0;
  }

  /** The surfaces of a piece of furniture (or a marker) in world coordinates, at the current openness. */
  surfacesOf(e: Entity): WorldSurface[] {
    if (e.kind === 'marker') {
      const [w, d] = e.desc.size;
      return [{ owner: e.id, kind: 'on', level: 0, center: [e.desc.position[0], 0.01, e.desc.position[1]], yaw: 0, half: [w / 2, d / 2] }];
    }
    if (e.kind !== 'furniture') return [];
    return e.model.surfaces.map((s: Surface) => {
      const dz = s.onPart ? this.partSlide(e) : 0;
      return {
        owner: e.id,
        kind: s.kind,
        level: s.level,
        center: this.furnitureToWorld(e, s.center[0], s.center[1], s.center[2] + dz),
        yaw: e.yaw,
        half: s.half,
      };
    });
  }

  /** Every box that blocks sight: walls, furniture shells and moving parts at their current pose. */
  occluders(out: OccluderBox[] = []): OccluderBox[] {
    out.length = 0;
    for (const w of this.walls) out.push({ owner: null, center: w.center, half: w.half, yaw: 0 });
    for (const e of this.entityList) {
      if (e.kind !== 'furniture') continue;
      for (const b of e.model.shell) out.push({ owner: e.id, center: this.furnitureToWorld(e, ...b.center), half: b.half, yaw: e.yaw });
      if (e.part && e.model.part) {
        const partYaw = yawOfQuaternion(e.part.quaternion);
        const origin: Vec3 = [e.part.position.x, e.part.position.y, e.part.position.z];
        const pivot = e.model.part.kind === 'hinge' ? e.model.part.hinge : ([0, 0] as [number, number]);
        for (const b of e.model.part.boxes) {
          const [wx, wz] = rotateYaw(b.center[0] - pivot[0], b.center[2] - pivot[1], partYaw);
          out.push({ owner: e.id, center: [origin[0] + wx, b.center[1], origin[2] + wz], half: b.half, yaw: partYaw });
        }
      }
    }
    return out;
  }

  // ---- stepping ------------------------------------------------------------------------------------------

  /** Advance exactly one fixed physics step: controllers first, then the solver. */
  stepPhysics(): void {
    const dt = this.physicsDt;
    this.robot.applyControl(dt);
    for (const e of this.entityList) if (e.kind === 'furniture' && e.part) this.drivePart(e, dt);
    this.physics.step(dt);
    for (const e of this.entityList) if (e.kind === 'furniture' && e.part) this.snapPart(e);
    this.robot.afterStep();
    this.physicsSteps++;
  }

  /** Command a door or drawer to move towards an openness in [0, 1]. */
  setTargetOpenness(f: FurnitureEntity, target: number): void {
    f.targetOpenness = Math.min(1, Math.max(0, target));
  }

  /** Opening speed of moving parts, in openness per second. */
  static readonly PART_SPEED = 1.25;

  private drivePart(f: FurnitureEntity, dt: number): void {
    const part = f.part;
    if (!part) return;
    const delta = f.targetOpenness - f.openness;
    if (delta === 0) {
      part.velocity.setZero();
      part.angularVelocity.setZero();
      return;
    }
    const stepMax = World.PART_SPEED * dt;
    const next = Math.abs(delta) <= stepMax ? f.targetOpenness : f.openness + Math.sign(delta) * stepMax;
    const now = this.partPose(f, f.openness);
    const then = this.partPose(f, next);
    part.velocity.set((then.position[0] - now.position[0]) / dt, 0, (then.position[2] - now.position[2]) / dt);
    part.angularVelocity.set(0, (then.yaw - now.yaw) / dt, 0);
    f.openness = next;
  }

  /** Kinematic integration only approximates rotation: place the part exactly where its openness says. */
  private snapPart(f: FurnitureEntity): void {
    const part = f.part;
    if (!part) return;
    const pose = this.partPose(f, f.openness);
    part.position.set(pose.position[0], pose.position[1], pose.position[2]);
    part.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, pose.yaw);
    if (f.openness === f.targetOpenness) {
      part.velocity.setZero();
      part.angularVelocity.setZero();
    }
  }

  /** Pose of the moving part's body at an openness. The hinge body's origin is the hinge line. */
  partPose(f: FurnitureEntity, openness: number): { position: Vec3; yaw: number } {
    const p = f.model.part;
    if (!p) throw new SimConfigError(`${f.id} has no moving part`);
    if (p.kind === 'hinge') {
      return { position: this.furnitureToWorld(f, p.hinge[0], 0, p.hinge[1]), yaw: f.yaw - (openness * Math.PI) / 2 };
    }
    return { position: this.furnitureToWorld(f, 0, 0, openness * p.travel), yaw: f.yaw };
  }

  /** Copy body poses into the three.js scene (rendering is a view of state, never its owner). */
  syncScene(): void {
    for (const e of this.entityList) {
      if (e.kind === 'object') {
        e.view.position.set(e.body.position.x, e.body.position.y, e.body.position.z);
        e.view.quaternion.set(e.body.quaternion.x, e.body.quaternion.y, e.body.quaternion.z, e.body.quaternion.w);
      } else if (e.kind === 'furniture' && e.part && e.partView) {
        e.partView.position.set(e.part.position.x, e.part.position.y, e.part.position.z);
        e.partView.quaternion.set(e.part.quaternion.x, e.part.quaternion.y, e.part.quaternion.z, e.part.quaternion.w);
      }
    }
    this.robot.syncView();
  }

  // ---- construction --------------------------------------------------------------------------------------

  private register(e: Entity, path: string): void {
    if (this.byId.has(e.id)) throw new SceneError(path, `duplicate entity id "${e.id}"`);
    this.byId.set(e.id, e);
    this.entityList.push(e);
  }

  private addFloor(): void {
    const floor = new CANNON.Body({ type: CANNON.Body.STATIC, material: this.materials.floor });
    floor.addShape(new CANNON.Plane());
    floor.quaternion.setFromAxisAngle(new CANNON.Vec3(1, 0, 0), -Math.PI / 2);
    floor.collisionFilterGroup = GROUP.STATIC;
    floor.collisionFilterMask = MASK.STATIC;
    this.physics.addBody(floor);
    for (const r of this.description.rooms) {
      const w = r.max[0] - r.min[0];
      const d = r.max[1] - r.min[1];
      const mesh = new THREE.Mesh(new THREE.PlaneGeometry(w, d), new THREE.MeshStandardMaterial({ color: 0xcfc6b8 }));
      mesh.rotation.x = -Math.PI / 2;
      mesh.position.set((r.min[0] + r.max[0]) / 2, 0, (r.min[1] + r.max[1]) / 2);
      mesh.name = `floor:${r.id}`;
      mesh.receiveShadow = true;
      this.scene.add(mesh);
    }
  }

  private addWalls(): void {
    const body = new CANNON.Body({ type: CANNON.Body.STATIC, material: this.materials.floor });
    const material = new THREE.MeshStandardMaterial({ color: 0xe8e4dc });
    for (const w of this.walls) {
      body.addShape(new CANNON.Box(new CANNON.Vec3(...w.half)), new CANNON.Vec3(...w.center));
      const mesh = new THREE.Mesh(new THREE.BoxGeometry(w.half[0] * 2, w.half[1] * 2, w.half[2] * 2), material);
      mesh.position.set(...w.center);
      mesh.name = 'wall';
      this.scene.add(mesh);
    }
    body.collisionFilterGroup = GROUP.STATIC;
    body.collisionFilterMask = MASK.STATIC;
    if (body.shapes.length > 0) this.physics.addBody(body);
  }

  private addFurniture(desc: FurnitureDescription, index: number): void {
    const path = `furniture[${index}]`;
    const model = furnitureModel(desc.category, desc.size);
    const yaw = (desc.yaw * Math.PI) / 180;
    const color = new THREE.MeshStandardMaterial({ color: COLOR_HEX[desc.color] });
    const shell = new CANNON.Body({ type: CANNON.Body.STATIC, material: this.materials.floor });
    const group = new THREE.Group();
    group.name = desc.id;
    group.position.set(desc.position[0], 0, desc.position[1]);
    group.rotation.y = yaw;
    for (const b of model.shell) {
      shell.addShape(new CANNON.Box(new CANNON.Vec3(...b.half)), new CANNON.Vec3(...b.center));
      group.add(boxMesh(b, color));
    }
    shell.position.set(desc.position[0], 0, desc.position[1]);
    shell.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, yaw);
    shell.collisionFilterGroup = GROUP.STATIC;
    shell.collisionFilterMask = MASK.STATIC;
    this.physics.addBody(shell);
    this.scene.add(group);

    const openness = model.part ? (desc.openness ?? 0) : 0;
    const [w, h, d] = desc.size;
    const entity: FurnitureEntity = {
      kind: 'furniture',
      id: desc.id,
      category: desc.category,
      color: desc.color,
      view: group,
      desc,
      model,
      room: this.roomAt(desc.position[0], desc.position[1]),
      yaw,
      shell,
      part: null,
      partView: null,
      openness,
      targetOpenness: openness,
      on: model.switchable ? (desc.on ?? false) : false,
      center: [desc.position[0], h / 2, desc.position[1]],
      radius: Math.hypot(w / 2, h / 2, d / 2),
    };
    if (model.part) {
      const pivot = model.part.kind === 'hinge' ? model.part.hinge : ([0, 0] as [number, number]);
      const part = new CANNON.Body({ type: CANNON.Body.KINEMATIC, mass: 0, material: this.materials.floor });
      const partGroup = new THREE.Group();
      partGroup.name = `${desc.id}:part`;
      const partColor = new THREE.MeshStandardMaterial({ color: new THREE.Color(COLOR_HEX[desc.color]).multiplyScalar(0.85) });
      for (const b of model.part.boxes) {
        const offset = new CANNON.Vec3(b.center[0] - pivot[0], b.center[1], b.center[2] - pivot[1]);
        part.addShape(new CANNON.Box(new CANNON.Vec3(...b.half)), offset);
        const mesh = boxMesh({ center: [offset.x, offset.y, offset.z], half: b.half }, partColor);
        partGroup.add(mesh);
      }
      part.collisionFilterGroup = GROUP.PART;
      part.collisionFilterMask = MASK.PART;
      entity.part = part;
      entity.partView = partGroup;
      const pose = this.partPose(entity, openness);
      part.position.set(...pose.position);
      part.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, pose.yaw);
      this.physics.addBody(part);
      this.scene.add(partGroup);
    }
    this.register(entity, path);
  }

  private addMarker(desc: MarkerDescription, index: number): void {
    const [w, d] = desc.size;
    const body = new CANNON.Body({ type: CANNON.Body.STATIC, material: this.materials.floor });
    body.addShape(new CANNON.Box(new CANNON.Vec3(w / 2, 0.005, d / 2)));
    body.position.set(desc.position[0], 0.005, desc.position[1]);
    body.collisionFilterGroup = GROUP.MARKER;
    body.collisionFilterMask = MASK.MARKER;
    this.physics.addBody(body);
    const mesh = new THREE.Mesh(new THREE.BoxGeometry(w, 0.01, d), new THREE.MeshStandardMaterial({ color: COLOR_HEX[desc.color] }));
    mesh.position.set(desc.position[0], 0.005, desc.position[1]);
    mesh.name = desc.id;
    this.scene.add(mesh);
    const entity: MarkerEntity = {
      kind: 'marker',
      id: desc.id,
      category: desc.category,
      color: desc.color,
      view: mesh,
      desc,
      room: this.roomAt(desc.position[0], desc.position[1]),
      body,
      center: [desc.position[0], 0.01, desc.position[1]],
      radius: Math.hypot(w / 2, d / 2),
    };
    this.register(entity, `markers[${index}]`);
  }

  private addObject(desc: ObjectDescription, index: number): void {
    const path = `objects[${index}]`;
    const [w, h, d] = desc.size;
    const isSphere = desc.shape === 'sphere';
    const halfHeight = isSphere ? w / 2 : h / 2;
    const body = new CANNON.Body({
      mass: desc.mass,
      material: this.materials.object,
      // Rolling resistance does not exist in cannon-es: heavy angular damping stands in for it.
      angularDamping: isSphere ? 0.9 : 0.3,
      linearDamping: 0.05,
    });
    if (isSphere) body.addShape(new CANNON.Sphere(w / 2));
    else body.addShape(new CANNON.Box(new CANNON.Vec3(w / 2, h / 2, d / 2)));
    body.collisionFilterGroup = GROUP.OBJECT;
    body.collisionFilterMask = MASK.OBJECT;
    const { position, yaw } = this.resolvePlacement(desc.placement, halfHeight, [w / 2, d / 2], `${path}.placement`);
    body.position.set(...position);
    body.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, yaw);
    this.physics.addBody(body);

    const material = new THREE.MeshStandardMaterial({ color: COLOR_HEX[desc.color] });
    const geometry =
      desc.shape === 'sphere'
        ? new THREE.SphereGeometry(w / 2, 16, 12)
        : desc.shape === 'cylinder'
          ? new THREE.CylinderGeometry(w / 2, w / 2, h, 16)
          : new THREE.BoxGeometry(w, h, d);
    const mesh = new THREE.Mesh(geometry, material);
    mesh.name = desc.id;
    mesh.castShadow = true;
    this.scene.add(mesh);
    const entity: ObjectEntity = {
      kind: 'object',
      id: desc.id,
      category: desc.category,
      color: desc.color,
      view: mesh,
      desc,
      body,
      halfHeight,
      radius: isSphere ? w / 2 : Math.hypot(w / 2, h / 2, d / 2),
    };
    this.register(entity, path);
  }

  private resolvePlacement(
    p: PlacementDescription,
    halfHeight: number,
    halfFootprint: [number, number],
    path: string,
  ): { position: Vec3; yaw: number } {
    if ('floor' in p) return { position: [p.floor[0], halfHeight + SETTLE_GAP, p.floor[1]], yaw: 0 };
    const isIn = 'in' in p;
    const ownerId = isIn ? p.in : p.on;
    const owner = this.byId.get(ownerId);
    if (!owner || owner.kind === 'object') {
      throw new SceneError(`${path}.${isIn ? 'in' : 'on'}`, `no furniture or marker with id "${ownerId}"`);
    }
    const level = p.level ?? 0;
    const kind = isIn ? 'in' : 'on';
    const surface = this.surfacesOf(owner).find((s) => s.kind === kind && s.level === level);
    if (!surface) {
      const offered = this.surfacesOf(owner).map((s) => `${s.kind} level ${s.level}`).join(', ') || 'none';
      throw new SceneError(path, `${owner.id} has no "${kind}" surface at level ${level} (it offers: ${offered})`);
    }
    const at = p.at ?? [0, 0];
    const ux = Math.max(0, surface.half[0] - halfFootprint[0]);
    const uz = Math.max(0, surface.half[1] - halfFootprint[1]);
    const [ox, oz] = rotateYaw(at[0] * ux, at[1] * uz, surface.yaw);
    return {
      position: [surface.center[0] + ox, surface.center[1] + halfHeight + SETTLE_GAP, surface.center[2] + oz],
      yaw: surface.yaw,
    };
  }
}

function boxMesh(b: LocalBox, material: THREE.Material): THREE.Mesh {
  const mesh = new THREE.Mesh(new THREE.BoxGeometry(b.half[0] * 2, b.half[1] * 2, b.half[2] * 2), material);
  mesh.position.set(...b.center);
  mesh.castShadow = true;
  return mesh;
}
