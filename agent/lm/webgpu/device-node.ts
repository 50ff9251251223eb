// A GPUDevice in Node through the npm package `webgpu` (Dawn). On Linux without a GPU, Dawn's Vulkan backend runs
// on SwiftShader, the CPU Vulkan driver that Debian's chromium package installs in /usr/lib/chromium: when the
// system's drivers give no adapter and VK_ICD_FILENAMES is unset, nodeDevice points it at SwiftShader's ICD; when the
// system has no Vulkan loader (libvulkan.so.1), it preloads chromium's copy first. Where the system has no Vulkan
// driver at all (no ICD manifest where the loader looks), the system's attempt is skipped: it would find nothing
// and have Dawn print Vulkan's warnings on stderr. Never throws.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { platform } from 'node:process';
import { isMainThread } from 'node:worker_threads';
import { acquireDevice, type AcquireOptions, type GpuResult } from './device.ts';

export const CHROMIUM_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
const CHROMIUM_VULKAN = `${CHROMIUM_DIR}/libvulkan.so.1`;

/** glibc's dlopen flags (node's os.constants.dlopen lacks RTLD_NODELETE). */
const RTLD_NOW = 2;
const RTLD_GLOBAL = 0x100;
const RTLD_NODELETE = 0x1000;

/** Where the adapter came from: the system's drivers, or SwiftShader set up here. */
export type NodeGpuRoute = 'system' | 'swiftshader';

export type NodeGpuResult = GpuResult & { route: NodeGpuRoute };

export const INSTALL_HINT =
  "install Debian's chromium package (apt-get install chromium: its SwiftShader Vulkan driver runs WebGPU on the CPU), " +
  'or a Vulkan driver (mesa-vulkan-drivers from bookworm-backports), or set VK_ICD_FILENAMES to a Vulkan ICD';

/**
 * Loads a shared library into the process for good, so that Dawn's later dlopen("libvulkan.so.1") finds it by its
 * soname. process.dlopen loads any library, then complains that it is no Node addon; RTLD_NODELETE keeps it loaded.
 * True when the library is loaded.
 */
function preload(path: string): boolean {
  try {
    process.dlopen({ exports: {} }, path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    return true;
  } catch (e) {
    return e instanceof Error && e.message.includes('did not self-register');
  }
}

/**
 * Whether the Vulkan loader may find a driver of the system's: a driver list in the environment, or an ICD
 * manifest (*.json) in a directory of the loader's search path on Linux.
 */
export function systemVulkanDrivers(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['VK_ICD_FILENAMES'] || env['VK_DRIVER_FILES'] || env['VK_ADD_DRIVER_FILES']) return true;
  const home = env['HOME'] ?? '';
  const roots = [
    env['XDG_CONFIG_HOME'] || join(home, '.config'),
    ...(env['XDG_CONFIG_DIRS'] || '/etc/xdg').split(':'),
    '/etc',
    env['XDG_DATA_HOME'] || join(home, '.local/share'),
    ...(env['XDG_DATA_DIRS'] || '/usr/local/share:/usr/share').split(':'),
  ];
  return roots.some((root) => {
    if (root === '') return false;
    try {
      return readdirSync(join(root, 'vulkan', 'icd.d')).some((name) => name.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

type CreateGpu = (options: string[]) => GPU;

async function loadCreate(): Promise<CreateGpu | string> {
  try {
    const module: { create: CreateGpu } = await import('webgpu');
    return module.create;
  } catch (e) {
    return `the npm package webgpu did not load: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * A device from Dawn: the system's drivers first (a real GPU where there is one), then SwiftShader when they give
 * no adapter. `dawnOptions` go to the package's create() (e.g. 'backend=vulkan').
 */
export async function nodeDevice(options: AcquireOptions & { dawnOptions?: string[] } = {}): Promise<NodeGpuResult> {
  const create = await loadCreate();
  if (typeof create === 'string') return { ok: false, reason: { code: 'no_webgpu', message: create }, route: 'system' };
  const attempt = (): Promise<GpuResult> => {
    try {
      return acquireDevice(create(options.dawnOptions ?? []), options);
    } catch (e) {
      return Promise.resolve({ ok: false, reason: { code: 'no_webgpu', message: `webgpu create() failed: ${e instanceof Error ? e.message : String(e)}` } });
    }
  };
  const linux = platform === 'linux';
  // Any Vulkan loader serves (it reads VK_ICD_FILENAMES); chromium ships one beside SwiftShader. Without a loader
  // Dawn only prints a warning and finds nothing.
  const loader = !linux || preload('libvulkan.so.1') || (existsSync(CHROMIUM_VULKAN) && preload(CHROMIUM_VULKAN));
  const noAdapter = (message: string): NodeGpuResult => ({ ok: false, reason: { code: 'no_adapter', message }, route: 'system' });
  if (!loader) return noAdapter(`no Vulkan loader (libvulkan.so.1): ${INSTALL_HINT}`);
  if (!linux || systemVulkanDrivers()) {
    const first = await attempt();
    if (first.ok || first.reason.code !== 'no_adapter') return { ...first, route: 'system' };
    if (!linux) return { ...first, route: 'system' };
  }
  const icd = process.env['VK_ICD_FILENAMES'];
  if (icd !== undefined) return noAdapter(`no adapter with VK_ICD_FILENAMES=${icd}: ${INSTALL_HINT}`);
  if (!existsSync(SWIFTSHADER_ICD)) return noAdapter(`no Vulkan adapter and no ${SWIFTSHADER_ICD}: ${INSTALL_HINT}`);
  // A worker thread's process.env is its own copy: the Vulkan loader (native getenv) would not see the change.
  if (!isMainThread) return noAdapter(`no Vulkan adapter; in a worker thread, set VK_ICD_FILENAMES=${SWIFTSHADER_ICD} in the main process`);
  process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  const second = await attempt();
  return { ...second, route: 'swiftshader' };
}
