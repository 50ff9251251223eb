// Core, JSON-safe shapes shared by the world, the planners, recorders and the UI.
// Everything here survives structuredClone and JSON round-trips: no classes, no typed arrays.

export type EntityId = string;
export type Vec3 = [number, number, number];

export const COLORS = ['red', 'green', 'blue', 'yellow', 'white', 'black', 'orange', 'purple'] as const;
export type Color = (typeof COLORS)[number];

/** What an entity is, in the world's own terms. */
export type EntityKind = 'object' | 'furniture' | 'marker';

/** The articulated or switchable state of an entity (absent fields do not apply). */
export interface EntityState {
  /** 0 = closed, 1 = fully open; present on openable furniture. */
  openness?: number;
  open?: boolean;
  /** Present on switchable entities (lamps). */
  on?: boolean;
  /** True while the agent's gripper holds it. */
  held?: boolean;
  /** The receptacle the entity rests on or in, when it rests on or in one. */
  on_top_of?: EntityId;
  inside?: EntityId;
}

/** The high- and low-level actions an agent can take, tagged by `kind`. */
export type Action =
  | { kind: 'goto'; target: EntityId }
  | { kind: 'pick'; object: EntityId }
  | { kind: 'place'; object: EntityId; receptacle: EntityId }
  | { kind: 'open'; target: EntityId }
  | { kind: 'close'; target: EntityId }
  | { kind: 'toggle'; target: EntityId }
  | { kind: 'say'; text: string }
  | { kind: 'done' }
  /** One control step of base motion: forward speed and turn rate, each a fraction in [-1, 1] of the maximum. */
  | { kind: 'move'; forward: number; turn: number }
  /** Grasp the nearest reachable, visible object in front of the agent. */
  | { kind: 'grasp' }
  /** Let go of the held object where it is. */
  | { kind: 'release' };

export type ActionKind = Action['kind'];

export const ACTION_KINDS: readonly ActionKind[] = [
  'goto', 'pick', 'place', 'open', 'close', 'toggle', 'say', 'done', 'move', 'grasp', 'release',
];

export const FAILURE_REASONS = [
  'not_visible',
  'unknown_entity',
  'out_of_reach',
  'path_blocked',
  'container_closed',
  'hands_full',
  'not_holding',
  'no_space',
  'timeout',
  'not_applicable',
  'invalid_action',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** The result of one action. */
export type Outcome = { ok: true; detail?: string } | { ok: false; reason: FailureReason; detail: string };

/** One entity as the agent perceives it. Positions are in the world frame, metres. */
export interface SeenEntity {
  id: EntityId;
  kind: EntityKind;
  category: string;
  color: Color;
  room: string;
  /** Distance from the agent's eye to the entity's centre, metres. */
  distance: number;
  /** Bearing relative to the agent's heading, radians, positive to the left (counter-clockwise). */
  bearing: number;
  /** Height of the entity's centre above the floor, metres. */
  height: number;
  position: Vec3;
  state: EntityState;
}

/** A landmark the agent knows from the floor plan: furniture and marked spots, always listed. */
export interface Landmark {
  id: EntityId;
  category: string;
  color: Color;
  room: string;
  openable: boolean;
  /** Whether things can rest on or in it (a surface or a container): the places a search looks at. */
  holds: boolean;
}

export interface AgentPose {
  position: Vec3;
  /** Heading around the vertical axis, radians; 0 looks along -z. */
  yaw: number;
  room: string;
}

/** What the agent perceives after each action. JSON-safe and structured-clone-safe. */
export interface Observation {
  step: number;
  instruction: string;
  agent: AgentPose;
  holding: EntityId | null;
  visible: SeenEntity[];
  /** Entities seen during the last action (its looks on the way) and not in view at its end, as last seen then.
   *  Absent in observations recorded before it existed. */
  glimpsed?: SeenEntity[];
  landmarks: Landmark[];
  lastAction: Action | null;
  lastOutcome: Outcome | null;
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
