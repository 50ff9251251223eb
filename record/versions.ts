// Versions of umwelt and of the packages a recording's simulation and file format depend on, read once from their
// package.json files: a recording carries them so that a replay that diverges can say what changed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The packages whose versions a recording carries besides umwelt itself. */
export const RECORDED_PACKAGES = ['cannon-es', 'three', '@mcap/core', '@noble/hashes'] as const;

let cached: Record<string, string> | null = null;

function versionIn(file: string, name: string | null): string | null {
  try {
    const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof pkg !== 'object' || pkg === null || !('version' in pkg) || typeof pkg.version !== 'string') return null;
    if (name !== null && (!('name' in pkg) || pkg.name !== name)) return null;
    return pkg.version;
  } catch {
    return null;
  }
}

/** The version of an installed package: its entry point resolved, then the nearest package.json of that name. */
function installedVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return 'unknown';
  }
  for (;;) {
    const version = versionIn(join(dir, 'package.json'), name);
    if (version !== null) return version;
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** `{ umwelt, cannon-es, three, @mcap/core, @noble/hashes }` -> version ('unknown' where it cannot be read). */
export function packageVersions(): Record<string, string> {
  if (cached) return { ...cached };
  const versions: Record<string, string> = { umwelt: versionIn(fileURLToPath(new URL('../package.json', import.meta.url)), 'umwelt') ?? 'unknown' };
  for (const name of RECORDED_PACKAGES) versions[name] = installedVersion(name);
  cached = versions;
  return { ...versions };
}
