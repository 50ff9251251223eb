// The World's runtime records for each entity: what it is, and the physics bodies and meshes that embody it.
import type * as CANNON from 'cannon-es';
import type * as THREE from 'three';
import type { FurnitureDescription, MarkerDescription, ObjectDescription } from './description.ts';
import type { FurnitureModel } from './furniture.ts';
import type { Color, EntityId, Vec3 } from './types.ts';

interface EntityCommon {
  id: EntityId;
  category: string;
  color: Color;
  /** Visual root, kept in step with the bodies by World.syncScene(). */
  view: THREE.Object3D;
}

export interface ObjectEntity extends EntityCommon {
  kind: 'object';
  desc: ObjectDescription;
  body: CANNON.Body;
  /** Half height of the upright object, metres. */
  halfHeight: number;
  /** Radius of the bounding sphere, metres. */
  radius: number;
}

export interface FurnitureEntity extends EntityCommon {
  kind: 'furniture';
  desc: FurnitureDescription;
  model: FurnitureModel;
  room: string;
  yaw: number;
  shell: CANNON.Body;
  part: CANNON.Body | null;
  partView: THREE.Object3D | null;
  /** Current and commanded openness in [0, 1]; 0 for furniture that does not open. */
  openness: number;
  targetOpenness: number;
  on: boolean;
  /** World-space centre and bounding radius of the whole piece. */
  center: Vec3;
  radius: number;
}

export interface MarkerEntity extends EntityCommon {
  kind: 'marker';
  desc: MarkerDescription;
  room: string;
  body: CANNON.Body;
  center: Vec3;
  radius: number;
}

export type Entity = ObjectEntity | FurnitureEntity | MarkerEntity;
