// The recording format as zod schemas: every umwelt message and the metadata, for validating what a recording
// holds when it is read back (a recording is untrusted input), and their JSON Schemas for the MCAP schema records
// (schema encoding `jsonschema`, message encoding `json`). The foxglove topics use Foxglove's own JSON Schemas.
// Compile-time proofs below tie each schema to its interface in format.ts (and sim/), in both directions.
import { CompressedImage, FrameTransforms, Log, SceneUpdate } from '@foxglove/schemas/jsonschema.js';
import { z } from 'zod';
import { SceneSpecSchema } from '../scenes/spec.ts';
import type { EnvConfig, EnvSnapshot } from '../sim/env.ts';
import { SNAPSHOT_VERSION, type WorldSnapshot } from '../sim/snapshot.ts';
import { COLORS, FAILURE_REASONS, type Action, type Observation, type Outcome } from '../sim/types.ts';
import {
  TOPICS,
  type ActionMessage,
  type DecisionMessage,
  type EpisodeMetadata,
  type EpisodeSource,
  type MemoryMessage,
  type ObservationMessage,
  type ResultMessage,
  type RewardMessage,
  type SnapshotMessage,
  type StateMessage,
  type StepIndexMetadata,
  type Topic,
} from './format.ts';

const num = z.number(); // finite: zod rejects NaN and infinities
const count = z.int().min(0);
const Vec3 = z.tuple([num, num, num]);
const Color = z.enum(COLORS);
const Id = z.string().min(1);

// ---- the simulator's shapes (sim/types.ts, sim/env.ts, sim/snapshot.ts) ----------------------------------------

export const ActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('goto'), target: Id }),
  z.strictObject({ kind: z.literal('pick'), object: Id }),
  z.strictObject({ kind: z.literal('place'), object: Id, receptacle: Id }),
  z.strictObject({ kind: z.literal('open'), target: Id }),
  z.strictObject({ kind: z.literal('close'), target: Id }),
  z.strictObject({ kind: z.literal('toggle'), target: Id }),
  z.strictObject({ kind: z.literal('say'), text: z.string() }),
  z.strictObject({ kind: z.literal('done') }),
  z.strictObject({ kind: z.literal('move'), forward: num, turn: num }),
  z.strictObject({ kind: z.literal('grasp') }),
  z.strictObject({ kind: z.literal('release') }),
]);

export const OutcomeSchema = z.union([
  z.strictObject({ ok: z.literal(true), detail: z.string().optional() }),
  z.strictObject({ ok: z.literal(false), reason: z.enum(FAILURE_REASONS), detail: z.string() }),
]);

const EntityStateSchema = z.strictObject({
  openness: num.optional(),
  open: z.boolean().optional(),
  on: z.boolean().optional(),
  held: z.boolean().optional(),
  on_top_of: Id.optional(),
  inside: Id.optional(),
});

const SeenEntitySchema = z.strictObject({
  id: Id,
  kind: z.enum(['object', 'furniture', 'marker']),
  category: z.string(),
  color: Color,
  room: z.string(),
  distance: num,
  bearing: num,
  height: num,
  position: Vec3,
  state: EntityStateSchema,
});

const LandmarkSchema = z.strictObject({ id: Id, category: z.string(), color: Color, room: z.string(), openable: z.boolean(), holds: z.boolean() });

export const ObservationSchema = z.strictObject({
  step: count,
  instruction: z.string(),
  agent: z.strictObject({ position: Vec3, yaw: num, room: z.string() }),
  holding: Id.nullable(),
  visible: z.array(SeenEntitySchema),
  glimpsed: z.array(SeenEntitySchema).optional(),
  landmarks: z.array(LandmarkSchema),
  lastAction: ActionSchema.nullable(),
  lastOutcome: OutcomeSchema.nullable(),
});

export const WorldSnapshotSchema = z.strictObject({
  version: z.literal(SNAPSHOT_VERSION),
  bodyCount: count,
  physicsSteps: count,
  physicsTime: num,
  bodies: z.array(num),
  furniture: z.array(num),
  hand: z.strictObject({ local: Vec3, yaw: num }),
  grip: z.strictObject({ object: Id, numbers: z.array(num) }).nullable(),
});

const TaskStateSchema = z.record(z.string(), z.union([num, z.string(), z.boolean(), z.array(num), z.array(z.string())]));

export const EnvSnapshotSchema = z.strictObject({
  seed: count,
  step: count,
  ended: z.boolean(),
  known: z.array(Id),
  pathLength: num,
  lastAction: ActionSchema.nullable(),
  lastOutcome: OutcomeSchema.nullable(),
  task: TaskStateSchema,
  world: WorldSnapshotSchema,
});

export const EnvConfigSchema = z.strictObject({
  physicsDt: num.positive(),
  controlDt: num.positive(),
  maxSteps: z.int().min(1),
  sensor: z.strictObject({ hfov: num, vfov: num, pitch: num, near: num, range: num }),
  gotoSeconds: num,
});

// ---- messages ----------------------------------------------------------------------------------------------------

export const ObservationMessageSchema = z.strictObject({ step: count, observation: ObservationSchema });

export const DecisionMessageSchema = z.strictObject({
  step: count,
  prompt: z.string(),
  thought: z.string(),
  raw: z.string(),
  action: z.string().nullable(),
  error: z.string().nullable(),
  latencyMs: num.min(0),
  tokens: count,
  promptTokens: count,
});

export const ActionMessageSchema = z.strictObject({
  step: count,
  action: ActionSchema.nullable(),
  outcome: OutcomeSchema,
  physicsSteps: count,
  stateHash: z.string(),
});

export const RewardMessageSchema = z.strictObject({ step: count, reward: num, total: num });

const EntityPoseSchema = z.strictObject({ id: Id, position: Vec3, quaternion: z.tuple([num, num, num, num]) });

export const StateMessageSchema = z.strictObject({
  step: count,
  controlStep: count,
  physicsSteps: count,
  simSeconds: num.min(0),
  stateHash: z.string(),
  poses: z.array(EntityPoseSchema),
  parts: z.array(z.strictObject({ id: Id, openness: num })),
  holding: Id.nullable(),
});

export const SnapshotMessageSchema = z.strictObject({ step: count, stateHash: z.string(), snapshot: EnvSnapshotSchema });

export const MemoryMessageSchema = z.strictObject({
  step: count,
  op: z.enum(['read', 'write']),
  detail: z.record(z.string(), z.unknown()),
});

export const ResultMessageSchema = z.strictObject({
  success: z.boolean(),
  terminated: z.boolean(),
  truncated: z.boolean(),
  aborted: z.boolean(),
  failureReason: z.string().nullable(),
  steps: count,
  stateHash: z.string(),
  metrics: z.record(z.string(), z.unknown()),
});

// ---- metadata ----------------------------------------------------------------------------------------------------

export const EpisodeSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('family'), family: z.string().min(1) }),
  z.strictObject({ kind: z.literal('scripted'), path: z.string().min(1), family: z.string().min(1) }),
]);

export const EpisodeMetadataSchema = z.strictObject({
  formatVersion: z.int().min(1),
  seed: count,
  family: z.string(),
  instruction: z.string(),
  source: EpisodeSourceSchema,
  scene: SceneSpecSchema,
  task: z.strictObject({
    instruction: z.string(),
    targets: z.array(z.string()),
    goals: z.array(z.unknown()).optional(),
    mode: z.string().optional(),
  }),
  planner: z.strictObject({ name: z.string().min(1), config: z.record(z.string(), z.unknown()) }),
  env: EnvConfigSchema,
  packages: z.record(z.string(), z.string()),
  branchedFrom: z.strictObject({ path: z.string(), step: count }).optional(),
});

const decimal = z.string().regex(/^\d+$/, { error: 'must be a non-negative decimal integer' });

export const StepIndexMetadataSchema = z.strictObject({
  steps: z.array(z.tuple([decimal, decimal])).min(1),
  sequences: z.array(z.tuple([count, count])).min(1),
});

// ---- proofs: the schemas and the interfaces describe the same shapes ---------------------------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Proofs = [
  Same<z.infer<typeof ActionSchema>, Action>,
  Same<z.infer<typeof OutcomeSchema>, Outcome>,
  Same<z.infer<typeof ObservationSchema>, Observation>,
  Same<z.infer<typeof WorldSnapshotSchema>, WorldSnapshot>,
  Same<z.infer<typeof EnvSnapshotSchema>, EnvSnapshot>,
  Same<z.infer<typeof EnvConfigSchema>, EnvConfig>,
  Same<z.infer<typeof ObservationMessageSchema>, ObservationMessage>,
  Same<z.infer<typeof DecisionMessageSchema>, DecisionMessage>,
  Same<z.infer<typeof ActionMessageSchema>, ActionMessage>,
  Same<z.infer<typeof RewardMessageSchema>, RewardMessage>,
  Same<z.infer<typeof StateMessageSchema>, StateMessage>,
  Same<z.infer<typeof SnapshotMessageSchema>, SnapshotMessage>,
  Same<z.infer<typeof MemoryMessageSchema>, MemoryMessage>,
  Same<z.infer<typeof ResultMessageSchema>, ResultMessage>,
  Same<z.infer<typeof EpisodeSourceSchema>, EpisodeSource>,
  Same<z.infer<typeof EpisodeMetadataSchema>, EpisodeMetadata>,
  Same<z.infer<typeof StepIndexMetadataSchema>, StepIndexMetadata>,
];
/** Fails to compile when a schema and its interface drift apart. */
export const SCHEMAS_MATCH_FORMAT: Proofs extends true[] ? true : false = true;

// ---- topics: schema names, validators and JSON Schemas -----------------------------------------------------------

/** The umwelt topics and the message each carries. */
export interface UmweltMessages {
  [TOPICS.observation]: ObservationMessage;
  [TOPICS.decision]: DecisionMessage;
  [TOPICS.action]: ActionMessage;
  [TOPICS.reward]: RewardMessage;
  [TOPICS.state]: StateMessage;
  [TOPICS.snapshot]: SnapshotMessage;
  [TOPICS.memory]: MemoryMessage;
  [TOPICS.result]: ResultMessage;
}
export type UmweltTopic = keyof UmweltMessages;

const UMWELT_SCHEMAS: { [T in UmweltTopic]: { name: string; schema: z.ZodType<UmweltMessages[T]> } } = {
  [TOPICS.observation]: { name: 'umwelt.Observation', schema: ObservationMessageSchema },
  [TOPICS.decision]: { name: 'umwelt.Decision', schema: DecisionMessageSchema },
  [TOPICS.action]: { name: 'umwelt.Action', schema: ActionMessageSchema },
  [TOPICS.reward]: { name: 'umwelt.Reward', schema: RewardMessageSchema },
  [TOPICS.state]: { name: 'umwelt.State', schema: StateMessageSchema },
  [TOPICS.snapshot]: { name: 'umwelt.Snapshot', schema: SnapshotMessageSchema },
  [TOPICS.memory]: { name: 'umwelt.Memory', schema: MemoryMessageSchema },
  [TOPICS.result]: { name: 'umwelt.Result', schema: ResultMessageSchema },
};

const FOXGLOVE_SCHEMAS = {
  [TOPICS.scene]: { name: 'foxglove.SceneUpdate', jsonSchema: SceneUpdate },
  [TOPICS.transforms]: { name: 'foxglove.FrameTransforms', jsonSchema: FrameTransforms },
  [TOPICS.log]: { name: 'foxglove.Log', jsonSchema: Log },
  [TOPICS.cameraRgb]: { name: 'foxglove.CompressedImage', jsonSchema: CompressedImage },
  [TOPICS.cameraDepth]: { name: 'foxglove.CompressedImage', jsonSchema: CompressedImage },
  [TOPICS.cameraSegmentation]: { name: 'foxglove.CompressedImage', jsonSchema: CompressedImage },
} as const;

export function isUmweltTopic(topic: string): topic is UmweltTopic {
  return Object.hasOwn(UMWELT_SCHEMAS, topic);
}

export function isTopic(topic: string): topic is Topic {
  return isUmweltTopic(topic) || Object.hasOwn(FOXGLOVE_SCHEMAS, topic);
}

/** The validator of an umwelt topic's messages. */
export function messageSchema<T extends UmweltTopic>(topic: T): z.ZodType<UmweltMessages[T]> {
  return UMWELT_SCHEMAS[topic].schema;
}

/** The MCAP schema name of a topic: `umwelt.Observation`, ..., `foxglove.SceneUpdate`, ... */
export function schemaName(topic: Topic): string {
  return isUmweltTopic(topic) ? UMWELT_SCHEMAS[topic].name : FOXGLOVE_SCHEMAS[topic].name;
}

/** The JSON Schema (draft 2020-12) of a topic's messages, as stored in the MCAP schema record. */
export function jsonSchemaOf(topic: Topic): Record<string, unknown> {
  if (!isUmweltTopic(topic)) return FOXGLOVE_SCHEMAS[topic].jsonSchema;
  const { name, schema } = UMWELT_SCHEMAS[topic];
  return { title: name, ...z.toJSONSchema(schema, { target: 'draft-2020-12' }) };
}

/** An MCAP schema record (without its id). */
export interface SchemaRecord {
  readonly name: string;
  readonly encoding: 'jsonschema';
  readonly data: Uint8Array;
}

/** Built once per topic and process: z.toJSONSchema costs milliseconds, and a record is the same for every file. */
const schemaRecords = new Map<Topic, SchemaRecord>();

/** The MCAP schema record of a topic (without its id). The record is shared: do not modify its bytes. */
export function schemaRecord(topic: Topic): SchemaRecord {
  let record = schemaRecords.get(topic);
  if (!record) {
    record = { name: schemaName(topic), encoding: 'jsonschema', data: new TextEncoder().encode(JSON.stringify(jsonSchemaOf(topic))) };
    schemaRecords.set(topic, record);
  }
  return record;
}

/** zod issues as one line: `path: message; path: message` (the first few). */
export function describeIssues(error: z.ZodError, limit = 3): string {
  const parts = error.issues.slice(0, limit).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `$${path}: ${issue.message}`;
  });
  const more = error.issues.length > limit ? ` (and ${error.issues.length - limit} more)` : '';
  return parts.join('; ') + more;
}
