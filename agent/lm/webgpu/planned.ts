// One kernel dispatch of an engine, made once: its pipeline, its own params uniform and its bind group over fixed
// buffers. Each use writes the params of the shape at hand (only when they changed) and records the dispatch; the
// shapes change (rows, position), the buffers do not.
import type { Dispatch, KernelProgram } from './kernels/program.ts';
import type { CompiledProgram, KernelRunner } from './run-kernel.ts';
import { KernelError } from './run-kernel.ts';

/** GPUBufferUsage.UNIFORM | COPY_DST (run-kernel.ts: the globals may be missing in Node). */
const UNIFORM_USAGE = 0x40 | 0x8;

export class PlannedDispatch {
  private readonly uniform: GPUBuffer;
  private readonly group: GPUBindGroup;
  private last: Uint8Array | null = null;

  private constructor(
    private readonly device: GPUDevice,
    private readonly compiled: CompiledProgram,
    /** The Dispatch (workgroups and params) of a use's shape. */
    private readonly shape: (rows: number, p0: number) => Dispatch,
    readonly key: string,
    buffers: readonly GPUBuffer[],
  ) {
    const bytes = shape(1, 0).params.byteLength;
    this.uniform = device.createBuffer({ label: `${key} params`, size: bytes, usage: UNIFORM_USAGE });
    this.group = device.createBindGroup({
      label: key,
      layout: compiled.layout,
      entries: [this.uniform, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  /** `buffers` are bindings 1.. of the program (binding 0 is the params uniform, made here). */
  static async make(
    runner: KernelRunner,
    program: KernelProgram,
    buffers: readonly GPUBuffer[],
    shape: (rows: number, p0: number) => Dispatch,
  ): Promise<PlannedDispatch> {
    if (buffers.length + 1 !== program.bindings.length) {
      throw new KernelError(`${program.key}: ${program.bindings.length - 1} buffers expected, got ${buffers.length}`);
    }
    return new PlannedDispatch(runner.device, await runner.compile(program), shape, program.key, buffers);
  }

  /** Writes the params for (rows, p0) and records the dispatch into the pass. */
  encode(pass: GPUComputePassEncoder, rows: number, p0: number): void {
    const dispatch = this.shape(rows, p0);
    const params = new Uint8Array(dispatch.params);
    if (this.last === null || !equalBytes(this.last, params)) {
      this.device.queue.writeBuffer(this.uniform, 0, params);
      this.last = params;
    }
    pass.setPipeline(this.compiled.pipeline);
    pass.setBindGroup(0, this.group);
    const [x, y, z] = dispatch.workgroups;
    pass.dispatchWorkgroups(x, y, z);
  }

  destroy(): void {
    this.uniform.destroy();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
