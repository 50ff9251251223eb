// `umwelt replay FILE`: a recorded episode (an MCAP file written by `--record`), five ways:
//   (default)                   playback: one line per step (action, outcome, thought), from the file alone
//   --info                      what the file holds: episode, planner, steps, channels, result, completeness
//   --verify                    re-simulate it and compare every step's state hash (exit 0 verified, 1 diverged)
//   --step K                    the recorded state at step K (poses, parts, held object), without simulating
//   --from K --planner NAME     re-simulate steps 1..K, verified, then let another planner continue (a branch),
//                               optionally recorded with --record OUT
// An unreadable file, a bad step or planner is exit code 2 with one `umwelt: error: ...` line.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { formatAction } from '../../agent/grammar.ts';
import { isPlannerName, PLANNERS, usesCheckpoint } from '../../agent/planners/index.ts';
import { TOPICS, type ActionMessage, type DecisionMessage } from '../../record/format.ts';
import { Recording, RecordingError } from '../../record/reader.ts';
import { branch, BranchDivergenceError, ReplayError, stateAt, verify, type Divergence, type VerifyResult } from '../../record/replay.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { fixed, metres, plural, table } from '../format.ts';
import { CHECKPOINT_HELP, checkpointPath, INT8_HELP, MAX_STEPS_LIMIT, parseMaxSteps, parsePlanner, preloadCheckpoint } from '../options.ts';
import { printJson, type Output } from '../output.ts';
import { stepLine } from '../progress.ts';
import type { CliContext } from './context.ts';
import { runReport, summaryLine } from './run.ts';

export interface ReplayOptions {
  info?: boolean;
  verify?: boolean;
  step?: number;
  from?: number;
  planner?: string;
  record?: string;
  maxSteps?: number;
  checkpoint?: string;
  int8?: boolean;
  json?: boolean;
}

function parseStep(value: string): number {
  const text = value.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`a step must be a non-negative integer, got "${value}"`);
  return n;
}

type Mode = 'playback' | 'info' | 'verify' | 'step' | 'branch';

function modeOf(options: ReplayOptions): Mode {
  const modes: [Mode, boolean][] = [
    ['info', options.info === true],
    ['verify', options.verify === true],
    ['step', options.step !== undefined],
    ['branch', options.from !== undefined],
  ];
  const chosen = modes.filter(([, on]) => on).map(([m]) => m);
  const flag = (m: Mode): string => (m === 'branch' ? '--from' : `--${m}`);
  if (chosen.length > 1) throw new UsageError(`${chosen.map(flag).join(' and ')} cannot be combined: choose one`);
  const mode = chosen[0] ?? 'playback';
  if (mode !== 'branch') {
    const stray = (['planner', 'record', 'maxSteps', 'checkpoint', 'int8'] as const).filter((k) => options[k] !== undefined);
    const names = { planner: '--planner', record: '--record', maxSteps: '--max-steps', checkpoint: '--checkpoint', int8: '--int8' };
    if (stray.length > 0) throw new UsageError(`${stray.map((k) => names[k]).join(', ')} only go with --from K (branching)`);
  }
  if (mode === 'playback' && options.json) throw new UsageError('--json goes with --info, --verify, --step or --from');
  return mode;
}

async function open(file: string): Promise<Recording> {
  try {
    return await Recording.open(file);
  } catch (e) {
    if (e instanceof RecordingError) throw new UsageError(`${file}: ${e.message}`);
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    if (code === 'ENOENT') throw new UsageError(`${file}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${file}: is a directory, not a recording`);
    if (code === 'EACCES') throw new UsageError(`${file}: permission denied`);
    throw e;
  }
}

const incompleteNote = (recording: Recording): string[] =>
  recording.complete ? [] : [`(incomplete recording: ${recording.problem ?? `the file is truncated; steps 0..${recording.steps} survive`})`];

async function playback(recording: Recording, out: Output): Promise<number> {
  const m = recording.metadata;
  out.line(`${m.family} #${m.seed} · planner ${m.planner.name} · ${plural(recording.steps, 'step')}${m.branchedFrom ? ` · branched from ${m.branchedFrom.path} at step ${m.branchedFrom.step}` : ''}`);
  out.line(`Instruction: ${m.instruction}`);
  const thoughts = new Map<number, string>();
  for await (const { message } of recording.messages<DecisionMessage>(TOPICS.decision)) thoughts.set(message.step, message.thought);
  const actions: ActionMessage[] = await recording.actions();
  for (const a of actions) {
    const view = {
      step: a.step,
      action: a.action ? formatAction(a.action) : '(unparsable)',
      outcome: a.outcome.ok ? 'ok' : `failed: ${a.outcome.reason}`,
      detail: a.outcome.ok ? null : a.outcome.detail || null,
      thought: thoughts.get(a.step) ?? '',
    };
    out.line(`${stepLine(view)}${view.thought ? `  — ${view.thought}` : ''}`);
  }
  for (const line of incompleteNote(recording)) out.line(line);
  const result = await recording.result();
  if (result) {
    const how = result.success ? '✔ success' : `✘ ${result.aborted ? 'interrupted' : 'failed'}${result.failureReason ? `: ${result.failureReason}` : ''}`;
    out.line(`${how} after ${plural(result.steps, 'step')} — stateHash ${result.stateHash}`);
  }
  return EXIT.ok;
}

function info(recording: Recording, options: ReplayOptions, out: Output): number {
  const i = recording.info();
  if (options.json) {
    printJson(out, { ...i, branchedFrom: recording.metadata.branchedFrom ?? null });
    return EXIT.ok;
  }
  const rows: string[][] = [
    ['file', `${i.path} (${i.bytes} bytes, ${i.compression}, format ${i.formatVersion})`],
    ['complete', i.complete ? 'yes' : `no: ${i.problem ?? 'truncated'}`],
    ['episode', `${i.family} #${i.seed}`],
    ['instruction', i.instruction],
    ['planner', i.planner],
    ['steps', `${i.steps} (${fixed(i.simSeconds, 1)} s simulated)`],
  ];
  const from = recording.metadata.branchedFrom;
  if (from) rows.push(['branched from', `${from.path} at step ${from.step}`]);
  if (i.result) rows.push(['result', i.result.success ? `success in ${plural(i.result.steps, 'step')}` : `failed: ${i.result.failureReason ?? 'not achieved'}`]);
  for (const line of table(rows)) out.line(line);
  out.line('channels:');
  for (const line of table(i.channels.map((c) => [c.topic, c.schema, plural(c.messages, 'message')]), '  ')) out.line(line);
  return EXIT.ok;
}

function divergenceLines(d: Divergence): string[] {
  const where = d.step === 0 ? 'at the reset (step 0)' : `at step ${d.step}`;
  const control = d.controlStep === null ? '' : `, control step ${d.controlStep}`;
  const lines = [`✘ diverges ${where}${control}`, `  recorded state    ${d.expected}`, `  re-simulated      ${d.actual}`];
  if (d.step > 0) lines.push(`  action            ${d.action ? formatAction(d.action) : '(unparsable)'}`);
  const outcome = (o: Divergence['expectedOutcome']): string => (o === null ? '-' : o.ok ? 'ok' : `failed: ${o.reason}`);
  if (d.expectedOutcome || d.actualOutcome) lines.push(`  outcome           recorded ${outcome(d.expectedOutcome)}, re-simulated ${outcome(d.actualOutcome)}`);
  return lines;
}

async function verifyCommand(recording: Recording, options: ReplayOptions, out: Output, signal?: AbortSignal): Promise<number> {
  const result: VerifyResult = await verify(recording, { signal });
  if (options.json) {
    printJson(out, result);
  } else if (result.firstDivergence) {
    for (const line of divergenceLines(result.firstDivergence)) out.line(line);
    out.line(`  ${plural(result.verifiedSteps, 'step')} matched before it`);
  } else {
    const whole = result.complete ? '' : ` (incomplete file: only the ${plural(result.steps, 'surviving step')} were checked)`;
    out.line(`✔ verified: the reset and ${plural(result.steps, 'step')} re-simulate to the recorded state hashes${whole} (${fixed(result.simSeconds, 1)} s simulated)`);
  }
  return result.verified ? EXIT.ok : EXIT.failure;
}

async function stepCommand(recording: Recording, step: number, options: ReplayOptions, out: Output): Promise<number> {
  const state = await stateAt(recording, step);
  if (options.json) {
    printJson(out, state);
    return EXIT.ok;
  }
  const last = state.states[state.states.length - 1];
  out.line(`step ${step} of ${recording.steps} · stateHash ${state.stateHash}`);
  if (state.action) {
    const a = state.action;
    out.line(`action: ${a.action ? formatAction(a.action) : '(unparsable)'} → ${a.outcome.ok ? 'ok' : `failed: ${a.outcome.reason} (${a.outcome.detail})`}`);
  }
  if (state.decision?.thought) out.line(`thought: ${state.decision.thought}`);
  out.line(`${plural(state.states.length, 'control step')} recorded${last ? ` (control steps up to ${last.controlStep}, ${fixed(last.simSeconds, 1)} s simulated)` : ''}`);
  if (last) {
    out.line(`holding: ${last.holding ?? 'nothing'}`);
    const poses = last.poses.map((p) => [p.id, `(${p.position.map(metres).join(', ')})`]);
    for (const line of table(poses, '  ')) out.line(line);
    if (last.parts.length > 0) out.line(`parts: ${last.parts.map((p) => `${p.id} ${fixed(p.openness, 2)}`).join(', ')}`);
  }
  return EXIT.ok;
}

async function branchCommand(recording: Recording, from: number, options: ReplayOptions, out: Output, signal?: AbortSignal): Promise<number> {
  const plannerName = options.planner ?? recording.metadata.planner.name;
  if (!isPlannerName(plannerName)) {
    throw new UsageError(`the recording's planner "${plannerName}" is not available here; choose one with --planner (${PLANNERS.join(', ')})`);
  }
  const checkpoint = checkpointPath(options);
  if (!usesCheckpoint(plannerName) && (options.checkpoint !== undefined || options.int8)) {
    throw new UsageError(`--checkpoint and --int8 are for the lm planner, not ${plannerName}`);
  }
  if (usesCheckpoint(plannerName)) {
    const failed = await preloadCheckpoint(checkpoint, out);
    if (failed !== null) return failed;
  }
  try {
    const result = await branch(recording, {
      from,
      planner: plannerName,
      checkpoint,
      record: options.record,
      maxSteps: options.maxSteps,
      clock: () => performance.now(),
      signal,
    });
    const branchedFrom = { path: resolve(recording.path), step: from };
    if (options.json) printJson(out, { ...runReport(result.result), branchedFrom, verifiedSteps: result.verifiedSteps, record: result.record });
    else {
      out.line(`branched from ${recording.path} at step ${from} (steps 1..${from} re-simulated and verified), then ${plannerName}`);
      out.line(summaryLine(result.result));
      if (result.record) out.line(`recorded to ${result.record}`);
    }
    return result.result.aborted ? EXIT.interrupted : EXIT.ok;
  } catch (e) {
    if (e instanceof BranchDivergenceError) {
      out.error(errorLine(e.message));
      return EXIT.failure;
    }
    throw e;
  }
}

export async function replayCommand(file: string, options: ReplayOptions, out: Output, signal?: AbortSignal): Promise<number> {
  const mode = modeOf(options);
  const recording = await open(file);
  try {
    switch (mode) {
      case 'playback':
        return await playback(recording, out);
      case 'info':
        return info(recording, options, out);
      case 'verify':
        return await verifyCommand(recording, options, out, signal);
      case 'step':
        return await stepCommand(recording, options.step ?? 0, options, out);
      case 'branch':
        return await branchCommand(recording, options.from ?? 0, options, out, signal);
    }
  } catch (e) {
    if (signal?.aborted) {
      out.error(errorLine('interrupted'));
      return EXIT.interrupted;
    }
    if (e instanceof BranchDivergenceError) throw e;
    if (e instanceof ReplayError || e instanceof RecordingError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  } finally {
    await recording.close();
  }
}

export function registerReplay(program: Command, cli: CliContext): void {
  program
    .command('replay')
    .summary('play back, verify or branch a recorded episode')
    .description(
      'Read an episode recorded with --record (an MCAP file). Without options, print one line per step: the action, ' +
        'its outcome and the planner\'s thought.\n\n' +
        '--verify re-simulates the episode from the recorded seed and actions and compares the state hash after the ' +
        'reset and after every step with the recorded one: exit 0 when every step matches, 1 at the first divergence ' +
        '(its step, control step and both hashes are printed). An incomplete (truncated) file is verified as far as it goes.\n\n' +
        '--from K re-simulates steps 1..K (verified the same way) and lets another planner continue from there; ' +
        'with --record OUT the branch is written as a new recording whose steps 0..K equal the original\'s.\n\n' +
        'An unreadable file exits with code 2.',
    )
    .argument('<file>', 'the recording (.mcap)')
    .option('--info', 'summarise the file: episode, planner, steps, channels, result, completeness')
    .option('--verify', 're-simulate and compare every step\'s state hash with the recording')
    .option('--step <k>', 'the recorded state at step K (0 = after reset), without simulating', parseStep)
    .option('--from <k>', 'branch: re-simulate steps 1..K, then continue with --planner', parseStep)
    .option('-p, --planner <name>', `the planner that continues a branch: ${PLANNERS.join(', ')} (default: the recorded one)`, parsePlanner)
    .option('--checkpoint <file>', `with --from: ${CHECKPOINT_HELP}`)
    .option('--int8', `with --from: ${INT8_HELP}`)
    .option('--record <out>', 'write the branch as a new recording')
    .option('-n, --max-steps <k>', `the branch's step limit, up to ${MAX_STEPS_LIMIT} (default: the recorded one)`, parseMaxSteps)
    .option('--json', 'print one JSON object (with --info, --verify, --step or --from)')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt run --family fetch --record fetch.mcap
  $ umwelt replay fetch.mcap                         # one line per step
  $ umwelt replay fetch.mcap --info --json
  $ umwelt replay fetch.mcap --verify                # exit 0: every state hash re-simulates
  $ umwelt replay fetch.mcap --step 3 --json         # poses at every control step of step 3
  $ umwelt replay fetch.mcap --from 2 --planner random --record branch.mcap`,
    )
    .action(async (file: string, opts: ReplayOptions) => cli.exit(await replayCommand(file, opts, cli.out, cli.signal)));
}
