// The real WebGPU device the kernel tests run on (Dawn from the npm package `webgpu`; without a GPU, SwiftShader
// from Debian's chromium package). No adapter fails the suite with what to install, unless UMWELT_SKIP_WEBGPU=1.
import { afterAll } from 'vitest';
import { INSTALL_HINT, nodeDevice } from '../../../../agent/lm/webgpu/device-node.ts';
import { KernelRunner } from '../../../../agent/lm/webgpu/run-kernel.ts';

const logged = new Set<string>();

/** A runner on a fresh device (destroyed after the file's tests), or null when skipping is asked for. */
export async function testRunner(): Promise<KernelRunner | null> {
  const result = await nodeDevice({ timeoutMs: 20_000 });
  if (!result.ok) {
    const hint = result.reason.message.includes(INSTALL_HINT) ? '' : `; ${INSTALL_HINT}`;
    const message = `no WebGPU adapter for the kernel tests (${result.reason.code}: ${result.reason.message})${hint}`;
    if (process.env['UMWELT_SKIP_WEBGPU'] === '1') {
      console.warn(`SKIPPED (UMWELT_SKIP_WEBGPU=1): ${message}`);
      return null;
    }
    throw new Error(`${message}. Set UMWELT_SKIP_WEBGPU=1 to skip these tests.`);
  }
  const { device, adapterName, limits } = result.gpu;
  if (!logged.has(adapterName)) {
    logged.add(adapterName);
    console.info(`WebGPU adapter: ${adapterName} (${result.route}); ${limits.maxComputeInvocationsPerWorkgroup} invocations/workgroup, ${limits.maxComputeWorkgroupStorageSize} B workgroup storage`);
  }
  afterAll(() => device.destroy());
  return new KernelRunner(result.gpu);
}
