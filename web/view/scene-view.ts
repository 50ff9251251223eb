// The drawn view of an episode's scene (in the render worker, or on the page): a World built from the same
// description as the world worker's (never stepped: its bodies only give the layout), lit for display, its meshes
// posed from pose frames.
import * as THREE from 'three';
import type { SceneDescription } from '../../sim/description.ts';
import { applyPoseFrame, poseFrameLayout, POSE_STRIDE } from '../../sim/pose-frame.ts';
import { World } from '../../sim/world.ts';

export class SceneViewError extends Error {
  override readonly name = 'SceneViewError';
}

export class SceneView {
  readonly world: World;
  readonly scene: THREE.Scene;
  readonly stride: number;
  /** Centre and radius of the house's floor, for the orbit camera. */
  readonly center: THREE.Vector3;
  readonly radius: number;

  constructor(description: SceneDescription, layout: string[]) {
    this.world = new World(description);
    const own = poseFrameLayout(this.world);
    if (own.length !== layout.length || own.some((id, i) => id !== layout[i])) {
      throw new SceneViewError(`the scene's pose layout differs from the world worker's (${own.length} against ${layout.length} slots)`);
    }
    this.stride = layout.length * POSE_STRIDE;
    this.scene = this.world.scene;
    this.scene.background = new THREE.Color(0xeef1f4);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f96, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.4);
    sun.position.set(6, 12, 4);
    this.scene.add(sun);
    const box = new THREE.Box3();
    for (const room of description.rooms) {
      box.expandByPoint(new THREE.Vector3(room.min[0], 0, room.min[1]));
      box.expandByPoint(new THREE.Vector3(room.max[0], 0, room.max[1]));
    }
    this.center = box.getCenter(new THREE.Vector3());
    this.radius = Math.max(2, box.getSize(new THREE.Vector3()).length() / 2);
  }

  show(frame: Float32Array, offset = 0): void {
    if (frame.length < offset + this.stride) throw new SceneViewError(`a pose frame of ${frame.length - offset} floats where ${this.stride} were expected`);
    applyPoseFrame(this.world, frame, offset);
  }

  /** The agent's base pose from the view: position and yaw (radians, about +y). */
  agentPose(out: THREE.Vector3): number {
    const v = this.world.robot.view;
    out.copy(v.position);
    const e = new THREE.Euler().setFromQuaternion(v.quaternion, 'YXZ');
    return e.y;
  }
}
