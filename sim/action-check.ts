// Structural checks of an Action handed to the env by code (the grammar already guarantees them for text):
// a malformed action must come back as a failed outcome, never reach the physics (a NaN speed would poison it).
import { ACTION_KINDS, assertNever, type Action } from './types.ts';

const isId = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 64;
const isFraction = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= -1 && v <= 1;

/** Why an action is malformed, or null when it is well-formed. */
export function actionProblem(action: Action): string | null {
  if (typeof action !== 'object' || action === null || !ACTION_KINDS.includes(action.kind)) {
    return `not an action: ${(JSON.stringify(action) ?? 'undefined').slice(0, 100)}`;
  }
  switch (action.kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return isId(action.target) ? null : `${action.kind} needs an entity id as its target`;
    case 'pick':
      return isId(action.object) ? null : 'pick needs an entity id as its object';
    case 'place':
      return isId(action.object) && isId(action.receptacle) ? null : 'place needs entity ids for its object and receptacle';
    case 'say':
      return typeof action.text === 'string' ? null : 'say needs a text';
    case 'move':
      return isFraction(action.forward) && isFraction(action.turn) ? null : 'move needs forward and turn as numbers in [-1, 1]';
    case 'done':
    case 'grasp':
    case 'release':
      return null;
    default:
      return assertNever(action, 'action');
  }
}
