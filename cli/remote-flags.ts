// The remote planner's flags, shared by `umwelt run` and `umwelt eval`: --base-url, --model, --api-key-env,
// --remote-mode and --stream, their help, and the check that turns them into the planner's settings (plain data:
// the NAME of the key's variable, never the key).
import type { Command } from 'commander';
import type { RemoteSettings } from '../agent/planners/index.ts';
import { baseUrlProblem, REMOTE_DEFAULTS, REMOTE_MODES, type RemoteMode } from '../agent/planners/remote.ts';
import { UsageError } from './errors.ts';
import { parseBaseUrl, parseEnvName, parseRemoteMode } from './options.ts';

/** The flags as commander hands them over. */
export interface RemoteFlags {
  baseUrl?: string;
  model?: string;
  apiKeyEnv?: string;
  remoteMode?: RemoteMode;
  stream?: boolean;
}

/** Adds the five flags to a command. */
export function addRemoteFlags(command: Command): Command {
  return command
    .option('--base-url <url>', 'for --planner remote: the API root of an OpenAI-compatible server (http://127.0.0.1:8080/v1)', parseBaseUrl)
    .option('--model <name>', 'for --planner remote: the model the server runs')
    .option('--api-key-env <name>', `for --planner remote: the NAME of the environment variable holding the API key (default ${REMOTE_DEFAULTS.apiKeyEnv}; unset: no key)`, parseEnvName)
    .option('--remote-mode <mode>', `for --planner remote: ${REMOTE_MODES.join(' or ')} (tools: the skills as function tools; text: the Action line only; default ${REMOTE_DEFAULTS.mode})`, parseRemoteMode)
    .option('--stream', 'for --planner remote: stream the answer (server-sent events)');
}

/** The remote flags given, by name. */
function givenFlags(flags: RemoteFlags): string[] {
  return [
    flags.baseUrl !== undefined ? '--base-url' : '',
    flags.model !== undefined ? '--model' : '',
    flags.apiKeyEnv !== undefined ? '--api-key-env' : '',
    flags.remoteMode !== undefined ? '--remote-mode' : '',
    flags.stream ? '--stream' : '',
  ].filter((f) => f !== '');
}

/**
 * The remote planner's settings when `planners` holds 'remote', else undefined; a UsageError when the flags do not
 * fit (remote flags without the remote planner, the remote planner without a server or a model). `others` names
 * the planners in the message when there is no remote one (default: `planners`).
 */
export function remoteSettings(flags: RemoteFlags, planners: readonly string[], others = planners.join(', ')): RemoteSettings | undefined {
  const given = givenFlags(flags);
  if (!planners.includes('remote')) {
    if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for --planner remote, not ${others}`);
    return undefined;
  }
  if (flags.baseUrl === undefined) throw new UsageError("--planner remote needs --base-url URL, the server's API root (such as http://127.0.0.1:8080/v1)");
  const problem = baseUrlProblem(flags.baseUrl);
  if (problem !== null) throw new UsageError(`--base-url: ${problem}`);
  if (flags.model === undefined || flags.model.trim() === '') throw new UsageError('--planner remote needs --model NAME, the model the server should run');
  return {
    baseUrl: flags.baseUrl,
    model: flags.model.trim(),
    apiKeyEnv: flags.apiKeyEnv ?? REMOTE_DEFAULTS.apiKeyEnv,
    mode: flags.remoteMode ?? REMOTE_DEFAULTS.mode,
    stream: flags.stream ?? false,
  };
}
