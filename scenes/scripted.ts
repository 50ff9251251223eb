// Scripted evaluation scenarios: a TypeScript module whose default export is `defineScenario({...})`. A scenario
// runs a task family's generated episodes or a scene of its own, fires scripted events during the episode (move
// an object while the agent looks away, close a door, change the instruction, take the object out of the agent's
// hand), and may judge the episode with its own success and failure predicates and report its own metrics.
//
// This file is the public entry ('umwelt/scenario'): it only re-exports. The parts live in scripted/:
//   definition.ts   the definition's types and their check (ScenarioDefinitionError)
//   scenario.ts     defineScenario, ScriptedScenario, isScriptedScenario
//   task.ts         ScriptedTask: events, predicates, metrics, state and restore
//   context.ts      the ScenarioContext facade the hooks are given
//   actions.ts      moveObject, setOpenness, takeFromHand on the World
//   goal-checks.ts  goals given as data: shape, and fit to the scene's entities
//   errors.ts       ScenarioError, and how errors name values and fields
export type { ScenarioContext, ScenarioValue } from './scripted/context.ts';
export {
  ScenarioDefinitionError,
  type CustomScene,
  type ScenarioDefinition,
  type ScenarioDefinitionCommon,
  type SceneSetup,
  type ScriptedEvent,
  type SeedSelection,
} from './scripted/definition.ts';
export { ScenarioError } from './scripted/errors.ts';
export { defineScenario, isScriptedScenario, SCRIPTED_SCENARIO, type ScriptedScenario } from './scripted/scenario.ts';
export { ScriptedTask } from './scripted/task.ts';

// What a scenario file needs besides defineScenario, so that it can import everything from 'umwelt/scenario'.
export type { SceneDescription } from '../sim/description.ts';
export type { World } from '../sim/world.ts';
export type { Rng } from '../sim/rng.ts';
export type { Goal } from './goals.ts';
export type { GoalMode } from './task.ts';
export type { FamilyName, PlannerName, Split } from './family-names.ts';
export { HouseBuilder } from './house.ts';
export { OBJECT_COLORS, OBJECT_KINDS } from './catalog.ts';
