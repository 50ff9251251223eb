// Runs kernel programs on a device: pipelines made once per program key (with an explicit bind-group layout from
// the program's binding kinds, so a binding the shader leaves unused still binds), buffers up and down, one
// dispatch per submission. The tests drive every kernel through it; an engine can reuse its pipeline cache.
import type { GpuHandle, GpuLimits } from './device.ts';
import type { BindingKind, Dispatch, KernelProgram } from './kernels/program.ts';

export interface CompiledProgram {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export class KernelError extends Error {
  override readonly name = 'KernelError';
}

/** The spec's flag values: in Node the GPUBufferUsage, GPUShaderStage and GPUMapMode globals exist only when the
 *  `webgpu` package's globals were installed on globalThis, so the numbers are used instead. */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const STAGE_COMPUTE = 0x4;
const MAP_READ = 0x1;

const bufferType = (kind: BindingKind): GPUBufferBindingType => {
  switch (kind) {
    case 'uniform':
      return 'uniform';
    case 'read':
      return 'read-only-storage';
    case 'read_write':
      return 'storage';
  }
};

/** Storage buffers hold whole u32/f32 words; an empty array still gets one word (bindings may not be empty). */
const storageBytes = (bytes: number): number => Math.max(4, Math.ceil(bytes / 4) * 4);

export class KernelRunner {
  private readonly compiled = new Map<string, CompiledProgram>();

  readonly device: GPUDevice;
  readonly limits: GpuLimits;

  /** Holds the handle, and so the GPU object the device needs alive (device.ts GpuHandle.gpu). */
  constructor(readonly handle: GpuHandle) {
    this.device = handle.device;
    this.limits = handle.limits;
  }

  /** Pipelines made so far. */
  get pipelineCount(): number {
    return this.compiled.size;
  }

  /** The program's pipeline, compiled on first use; WGSL errors and validation errors throw a KernelError. */
  async compile(program: KernelProgram): Promise<CompiledProgram> {
    const cached = this.compiled.get(program.key);
    if (cached !== undefined) return cached;
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: program.key, code: program.wgsl });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      await device.popErrorScope();
      throw new KernelError(`${program.key}: WGSL errors:\n${errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}`);
    }
    const layout = device.createBindGroupLayout({
      label: program.key,
      entries: program.bindings.map((kind, binding) => ({ binding, visibility: STAGE_COMPUTE, buffer: { type: bufferType(kind) } })),
    });
    const pipeline = device.createComputePipeline({
      label: program.key,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: {
        module,
        entryPoint: 'main',
        constants: { WG_X: program.workgroupSize[0], WG_Y: program.workgroupSize[1], ...program.constants },
      },
    });
    const error = await device.popErrorScope();
    if (error !== null) throw new KernelError(`${program.key}: ${error.message}`);
    const entry = { pipeline, layout };
    this.compiled.set(program.key, entry);
    return entry;
  }

  /** A storage buffer holding `data` (or `bytes` zero bytes), readable back with read(). */
  buffer(data: ArrayBufferView | number, label = 'buffer'): GPUBuffer {
    const bytes = typeof data === 'number' ? data : data.byteLength;
    if (bytes % 4 !== 0) throw new RangeError(`a buffer of ${bytes} bytes is no whole number of words`);
    const buffer = this.device.createBuffer({
      label,
      size: storageBytes(bytes),
      usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
    });
    // A copy: the view may be over a SharedArrayBuffer, which writeBuffer's BufferSource excludes.
    if (typeof data !== 'number' && bytes > 0) this.device.queue.writeBuffer(buffer, 0, new Uint8Array(data.buffer, data.byteOffset, bytes).slice());
    return buffer;
  }

  /** Records one dispatch of `program` into `pass`; `buffers` are bindings 1.. (binding 0 is the params uniform,
   *  made here). Returns the uniform so the caller can destroy it after submission. */
  encode(pass: GPUComputePassEncoder, compiled: CompiledProgram, program: KernelProgram, dispatch: Dispatch, buffers: readonly GPUBuffer[]): GPUBuffer {
    if (buffers.length + 1 !== program.bindings.length) {
      throw new KernelError(`${program.key}: ${program.bindings.length - 1} buffers expected, got ${buffers.length}`);
    }
    const uniform = this.device.createBuffer({ label: `${program.key} params`, size: dispatch.params.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    this.device.queue.writeBuffer(uniform, 0, dispatch.params);
    const group = this.device.createBindGroup({
      label: program.key,
      layout: compiled.layout,
      entries: [uniform, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, group);
    const [x, y, z] = dispatch.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    return uniform;
  }

  /** One submission of one dispatch; resolves when the GPU has run it. */
  async run(program: KernelProgram, dispatch: Dispatch, buffers: readonly GPUBuffer[]): Promise<void> {
    const compiled = await this.compile(program);
    const device = this.device;
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: program.key });
    const pass = encoder.beginComputePass({ label: program.key });
    const uniform = this.encode(pass, compiled, program, dispatch, buffers);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    await device.queue.onSubmittedWorkDone();
    uniform.destroy();
    if (error !== null) throw new KernelError(`${program.key}: ${error.message}`);
  }

  /** The first `bytes` bytes of a buffer made by buffer() (default: all of it). */
  async read(buffer: GPUBuffer, bytes = buffer.size): Promise<ArrayBuffer> {
    const size = storageBytes(bytes);
    const staging = this.device.createBuffer({ label: 'readback', size, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const encoder = this.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_READ);
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }

  async readF32(buffer: GPUBuffer, length: number): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, length * 4));
  }

  async readU32(buffer: GPUBuffer, length: number): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, length * 4));
  }
}
