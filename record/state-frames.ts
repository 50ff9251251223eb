// Pose frames from a recording's own states, for drawing what was recorded (the browser's replay viewer) rather
// than a re-simulation: a StateMessage is written after reset and after every control step, with the poses of the
// robot and every object and the openness of every door and drawer. StateFrames turns each one into a pose frame
// (sim/pose-frame.ts) for a World built from the same scene: objects by id, the robot's base from `robot`, a
// furniture part's pose from its openness through World.partPose (a position and a yaw about +y).
//
// Re-simulating in a browser does not reproduce Node's numbers (V8's Math.sin/cos differ between builds), so the
// recorded poses are the only faithful source there. States are rounded to 1e-6: a frame agrees with the recorded
// run's capturePoseFrame to about that (tests/record/state-frames.test.ts).
//
// No Node built-ins in this module's imports: it runs in a Web Worker.
import { POSE_STRIDE, poseFrameLayout } from '../sim/pose-frame.ts';
import type { FurnitureEntity } from '../sim/entities.ts';
import type { World } from '../sim/world.ts';
import { ROBOT_FRAME } from './foxglove.ts';
import type { EntityPose, StateMessage } from './format.ts';

/** A state that does not fit the world's layout (an object or part missing, a pose that is not finite). */
export class StateFrameError extends Error {
  override readonly name = 'StateFrameError';
}

type Slot = { kind: 'pose'; id: string } | { kind: 'part'; id: string; furniture: FurnitureEntity };

/** Frames of many states, back to back, and the step each one belongs to. */
export interface StateFrameTrack {
  /** The ids of a frame's slots (poseFrameLayout): `agent`, then objects and moving parts. */
  layout: string[];
  /** Floats per frame: layout.length * POSE_STRIDE. */
  frameLength: number;
  /** Number of frames (one per state). */
  count: number;
  /** count frames of frameLength floats, back to back. */
  frames: Float32Array;
  /** The step of each frame (0: the state after reset). */
  steps: Int32Array;
}

/** Converts StateMessages into pose frames of one World's layout. */
export class StateFrames {
  readonly layout: string[];
  readonly frameLength: number;
  private readonly slots: Slot[];

  constructor(private readonly world: World) {
    this.layout = poseFrameLayout(world);
    this.frameLength = this.layout.length * POSE_STRIDE;
    this.slots = [{ kind: 'pose', id: ROBOT_FRAME }];
    for (const e of world.entityList) {
      if (e.kind === 'object') this.slots.push({ kind: 'pose', id: e.id });
      else if (e.kind === 'furniture' && e.part) this.slots.push({ kind: 'part', id: e.id, furniture: e });
    }
    if (this.slots.length !== this.layout.length) throw new StateFrameError(`the world's pose layout has ${this.layout.length} slots, its entities ${this.slots.length}`);
  }

  /** The frame of one state, written into `out` (allocated when omitted). */
  frame(state: StateMessage, out: Float32Array = new Float32Array(this.frameLength)): Float32Array {
    if (out.length < this.frameLength) throw new StateFrameError(`a frame needs ${this.frameLength} floats, the buffer has ${out.length}`);
    const poses = new Map<string, EntityPose>();
    for (const p of state.poses) poses.set(p.id, p);
    const openness = new Map<string, number>();
    for (const p of state.parts) openness.set(p.id, p.openness);
    this.slots.forEach((slot, i) => {
      const o = i * POSE_STRIDE;
      if (slot.kind === 'pose') {
        const pose = poses.get(slot.id);
        if (pose === undefined) throw new StateFrameError(`the state of step ${state.step} (control step ${state.controlStep}) has no pose of ${slot.id}`);
        const values = [...pose.position, ...pose.quaternion];
        if (!values.every(Number.isFinite)) throw new StateFrameError(`the state of step ${state.step} has a pose of ${slot.id} that is not finite`);
        out.set(values, o);
        return;
      }
      const open = openness.get(slot.id);
      if (open === undefined) throw new StateFrameError(`the state of step ${state.step} (control step ${state.controlStep}) has no openness of ${slot.id}`);
      if (!Number.isFinite(open)) throw new StateFrameError(`the state of step ${state.step} has an openness of ${slot.id} that is not finite`);
      const { position, yaw } = this.world.partPose(slot.furniture, open);
      // As cannon's setFromAxisAngle(UNIT_Y, yaw), which the world uses to snap the part.
      out[o] = position[0];
      out[o + 1] = position[1];
      out[o + 2] = position[2];
      out[o + 3] = 0;
      out[o + 4] = Math.sin(yaw / 2);
      out[o + 5] = 0;
      out[o + 6] = Math.cos(yaw / 2);
    });
    return out;
  }

  /** The frames of `states`, in their order, with the step of each. */
  track(states: readonly StateMessage[]): StateFrameTrack {
    const frames = new Float32Array(states.length * this.frameLength);
    const steps = new Int32Array(states.length);
    states.forEach((state, i) => {
      this.frame(state, frames.subarray(i * this.frameLength, (i + 1) * this.frameLength));
      steps[i] = state.step;
    });
    return { layout: this.layout, frameLength: this.frameLength, count: states.length, frames, steps };
  }
}
