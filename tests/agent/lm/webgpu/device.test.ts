// Getting a device: the real one in Node (Dawn; SwiftShader without a GPU), and every failure as a typed reason
// rather than a throw or a hang (these through stand-in GPU objects), and the runner's pipeline cache.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../../../agent/lm/webgpu/device.ts';
import { systemVulkanDrivers } from '../../../../agent/lm/webgpu/device-node.ts';
import { layerNormProgram } from '../../../../agent/lm/webgpu/kernels/layernorm.ts';
import { testRunner } from './gpu.ts';

const runner = await testRunner();

/** A GPU whose requestAdapter does what `request` does (only requestAdapter is ever called on it). */
const fakeGpu = (request: () => Promise<GPUAdapter | null>): GPU => ({ requestAdapter: request }) as unknown as GPU;

describe('systemVulkanDrivers', () => {
  it("sees a driver list in the environment, or an ICD manifest in the loader's search path, and nothing else", () => {
    const root = mkdtempSync(join(tmpdir(), 'umwelt-vulkan-'));
    try {
      const [config, data] = [join(root, 'config'), join(root, 'data')];
      const bare = { HOME: join(root, 'home'), XDG_CONFIG_DIRS: config, XDG_DATA_DIRS: data };
      // Nothing where the loader looks (the machine's /etc/vulkan/icd.d aside, which this test cannot move).
      const machine = systemVulkanDrivers({ HOME: bare.HOME, XDG_CONFIG_DIRS: config, XDG_DATA_DIRS: data });
      mkdirSync(join(data, 'vulkan', 'icd.d'), { recursive: true });
      writeFileSync(join(data, 'vulkan', 'icd.d', 'README'), 'not a manifest');
      expect(systemVulkanDrivers(bare)).toBe(machine);
      writeFileSync(join(data, 'vulkan', 'icd.d', 'nvidia_icd.json'), '{}');
      expect(systemVulkanDrivers(bare)).toBe(true);
      expect(systemVulkanDrivers({ ...bare, XDG_DATA_DIRS: join(root, 'elsewhere') })).toBe(machine);
      expect(systemVulkanDrivers({ ...bare, XDG_DATA_DIRS: join(root, 'elsewhere'), VK_ICD_FILENAMES: '/x/icd.json' })).toBe(true);
      expect(systemVulkanDrivers({ ...bare, XDG_DATA_DIRS: join(root, 'elsewhere'), VK_DRIVER_FILES: '/x/icd.json' })).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('acquireDevice failures', () => {
  it('no WebGPU API: no_webgpu', async () => {
    const result = await acquireDevice(undefined);
    expect(result.ok ? null : result.reason.code).toBe('no_webgpu');
  });

  it('no adapter: no_adapter', async () => {
    const result = await acquireDevice(fakeGpu(() => Promise.resolve(null)));
    expect(result.ok ? null : result.reason.code).toBe('no_adapter');
  });

  it('requestAdapter throwing: request_failed with its message', async () => {
    const result = await acquireDevice(fakeGpu(() => Promise.reject(new Error('driver exploded'))));
    expect(result.ok ? null : result.reason).toEqual({ code: 'request_failed', message: 'requestAdapter failed: driver exploded' });
  });

  it('requestAdapter never settling: timeout', async () => {
    const result = await acquireDevice(fakeGpu(() => new Promise<GPUAdapter | null>(() => {})), { timeoutMs: 50 });
    expect(result.ok ? null : result.reason.code).toBe('timeout');
  });
});

describe.skipIf(runner === null)('the Node device', () => {
  it('has a named adapter and limits within SwiftShader-sized bounds', () => {
    const { adapterName, limits } = runner!.handle;
    expect(adapterName.length).toBeGreaterThan(0);
    expect(limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(64);
    expect(limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
  });

  it('compiles a program once per key', async () => {
    const gpu = runner!;
    const before = gpu.pipelineCount;
    const first = await gpu.compile(layerNormProgram(33, gpu.limits));
    const again = await gpu.compile(layerNormProgram(40, gpu.limits)); // the same workgroup size: the same program
    expect(again).toBe(first);
    expect(gpu.pipelineCount).toBe(before + 1);
  });
});
