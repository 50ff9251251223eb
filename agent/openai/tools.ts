// The skills as OpenAI tools: one function per action kind the shared prompt offers, with a JSON Schema of its
// arguments, and the two directions between a tool call and an Action. An entity argument is a mark from the
// prompt (`#3`) or an entity id, exactly as in the action grammar (agent/grammar.ts), which checks the result:
// a tool call becomes an action only through parseAction, so it can never be malformed.
import { assertNever, type Action, type ActionKind } from '../../sim/types.ts';
import { MAX_SAY_LENGTH, parseAction, type ParseResult } from '../grammar.ts';
import type { ToolDefinition } from './wire.ts';

/** The action kinds offered as tools (those of the prompt's Actions line). */
export const TOOL_KINDS = ['goto', 'pick', 'place', 'open', 'close', 'toggle', 'say', 'done'] as const satisfies readonly ActionKind[];
export type ToolKind = (typeof TOOL_KINDS)[number];

const entity = (what: string): Record<string, unknown> => ({
  type: 'string',
  description: `${what}: a mark from the prompt such as "#3", or an entity id such as "mug_3"`,
  pattern: '^(#[0-9]{1,4}|[a-z][a-z0-9_]{0,63})$',
});

const schema = (properties: Record<string, Record<string, unknown>>): Record<string, unknown> => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

const DESCRIPTIONS: Record<ToolKind, { description: string; parameters: Record<string, unknown> }> = {
  goto: { description: 'Walk to a place or a thing.', parameters: schema({ target: entity('where to go') }) },
  pick: { description: 'Pick up a thing within reach (the gripper must be free).', parameters: schema({ object: entity('the thing') }) },
  place: {
    description: 'Put the held thing on or into a receptacle within reach.',
    parameters: schema({ object: entity('the held thing'), receptacle: entity('where it goes') }),
  },
  open: { description: 'Open a door, drawer or appliance within reach.', parameters: schema({ target: entity('what to open') }) },
  close: { description: 'Close a door, drawer or appliance within reach.', parameters: schema({ target: entity('what to close') }) },
  toggle: { description: 'Switch a device within reach on or off.', parameters: schema({ target: entity('the device') }) },
  say: { description: 'Say something (to report, or to ask).', parameters: schema({ text: { type: 'string', maxLength: MAX_SAY_LENGTH } }) },
  done: { description: 'Declare the task finished.', parameters: schema({}) },
};

/** The tools, in TOOL_KINDS order. */
export function skillTools(): ToolDefinition[] {
  return TOOL_KINDS.map((kind) => ({ type: 'function', function: { name: kind, description: DESCRIPTIONS[kind].description, parameters: DESCRIPTIONS[kind].parameters } }));
}

/** A tool call's arguments as the JSON the protocol carries. */
export function toolArguments(action: Action): { name: string; arguments: string } {
  switch (action.kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return { name: action.kind, arguments: JSON.stringify({ target: action.target }) };
    case 'pick':
      return { name: 'pick', arguments: JSON.stringify({ object: action.object }) };
    case 'place':
      return { name: 'place', arguments: JSON.stringify({ object: action.object, receptacle: action.receptacle }) };
    case 'say':
      return { name: 'say', arguments: JSON.stringify({ text: action.text }) };
    case 'done':
    case 'grasp':
    case 'release':
      return { name: action.kind, arguments: '{}' };
    case 'move':
      return { name: 'move', arguments: JSON.stringify({ forward: action.forward, turn: action.turn }) };
    default:
      return assertNever(action, 'action');
  }
}

const ARGUMENTS: Record<ToolKind, readonly string[]> = {
  goto: ['target'],
  pick: ['object'],
  place: ['object', 'receptacle'],
  open: ['target'],
  close: ['target'],
  toggle: ['target'],
  say: ['text'],
  done: [],
};

/** A mark or an identifier, nothing that could change the action text around it. */
const ENTITY_ARGUMENT = /^(#\d{1,4}|[A-Za-z_][A-Za-z0-9_]{0,63})$/;

const isToolKind = (name: string): name is ToolKind => (TOOL_KINDS as readonly string[]).includes(name);

/**
 * A tool call -> an Action (marks still unresolved), or the grammar's typed error: an unknown function
 * ('unknown_action'), arguments that are not a JSON object or miss or add a field ('arity' / 'bad_argument'),
 * and whatever parseAction finds wrong with the values.
 */
export function actionOfToolCall(name: string, argumentsJson: string): ParseResult {
  const fail = (code: 'unknown_action' | 'arity' | 'bad_argument' | 'syntax', message: string): ParseResult => ({
    ok: false,
    error: { code, message, position: 0, input: `${name}(${argumentsJson.slice(0, 200)})` },
  });
  if (!isToolKind(name)) return fail('unknown_action', `unknown tool "${name.slice(0, 64)}"; the tools are ${TOOL_KINDS.join(', ')}`);
  let args: unknown;
  try {
    args = argumentsJson.trim() === '' ? {} : JSON.parse(argumentsJson);
  } catch {
    return fail('syntax', `the arguments of ${name} are not JSON`);
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return fail('bad_argument', `the arguments of ${name} must be a JSON object`);
  const record = args as Record<string, unknown>;
  const wanted = ARGUMENTS[name];
  const extra = Object.keys(record).filter((k) => !wanted.includes(k));
  const missing = wanted.filter((k) => !(k in record));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [missing.length > 0 ? `missing ${missing.join(', ')}` : '', extra.length > 0 ? `unexpected ${extra.slice(0, 4).join(', ')}` : ''].filter((p) => p);
    return fail('arity', `${name} takes ${wanted.length === 0 ? 'no arguments' : wanted.join(', ')}: ${parts.join('; ')}`);
  }
  const values: string[] = [];
  for (const key of wanted) {
    const v = record[key];
    if (typeof v !== 'string') return fail('bad_argument', `${name}: ${key} must be a string`);
    if (key !== 'text' && !ENTITY_ARGUMENT.test(v.trim())) return fail('bad_argument', `${name}: ${key} must be a mark such as "#3" or an entity id, got ${JSON.stringify(v.slice(0, 40))}`);
    // The say text goes in as a JSON string literal, which the grammar's strings accept; entities go in bare.
    values.push(key === 'text' ? JSON.stringify(v) : v.trim());
  }
  return parseAction(`${name}(${values.join(', ')})`);
}
