// The GPT's inference on WebGPU, as engine/cpu.ts computes it on the CPU: the kernels of kernels/ chained over
// buffers made once (weights F32 or int8 as stored, engine-weights.ts; the KV cache; the activations), with
// pipelines and bind groups made at construction (planned.ts). Each call is ONE command submission: the embedding,
// every layer, the final LayerNorm, the logits, the optional grammar mask and the argmax or the sampling, then one
// copy of what is read back (the logits [V], or only the chosen id and the unconstrained one, or only the sampled
// id, whether it used its draw u and the unconstrained one); no readback between layers.
// A prompt of several ids goes through the prefill kernels (matmul), one id through the decode kernels (matvec).
//
//   ids [C] u32   x, a, q, att [C, d]   qkv [C, 3d]   hidden [C, m]   kCache[l], vCache[l] [C, d]
//   hf [d] (the last row after the final LayerNorm)   logits [V]   mask [ceil(V / 32)] u32   choice, best [1] u32
//   sampled [2] u32 (the id, 1 if u was used)   choice readback [3] u32 (greedy: the id, the unconstrained best;
//   sampled: the id, 1 if u was used, the unconstrained best)
// Per layer (rows T at positions p0..): a = LN1(x); qkv = a Wqkv + b; q, k, v -> q, caches (rotary positions
// applied); att = attention(q, caches); x += att Wproj + b; a = LN2(x); hidden = GELU(a Wfc + b); x += hidden Wp + b.
import { headDim, mlpWidth, type ModelConfig } from '../config.ts';
import { checkMask, checkSample, type AsyncPrefixEngine } from '../engine/async.ts';
import { checkIds, checkTruncate } from '../engine/types.ts';
import { ropeTables } from '../rope.ts';
import { checkSampling, type SamplingOptions } from '../sampling.ts';
import { argmaxDispatch, argmaxProgram, NO_TOKEN } from './kernels/argmax.ts';
import { argmaxScalarDispatch, argmaxScalarProgram } from './kernels/argmax-scalar.ts';
import { attentionDispatch, attentionProgram } from './kernels/attention.ts';
import { attentionScalarDispatch, attentionScalarProgram } from './kernels/attention-scalar.ts';
import { embeddingDispatch, embeddingProgram } from './kernels/embedding.ts';
import type { Epilogue } from './kernels/epilogue.ts';
import type { Dispatch, KernelProgram } from './kernels/program.ts';
import { layerNormDispatch, layerNormProgram } from './kernels/layernorm.ts';
import { linearScalarDispatch, linearScalarProgram } from './kernels/linear-scalar.ts';
import { matmulDispatch, matmulProgram } from './kernels/matmul.ts';
import { matvecDispatch, matvecProgram } from './kernels/matvec.ts';
import { qkvSplitDispatch, qkvSplitProgram } from './kernels/qkv-split.ts';
import { rowdotDispatch, rowdotProgram } from './kernels/rowdot.ts';
import { layerNormScalarDispatch, layerNormScalarProgram, rowdotScalarDispatch, rowdotScalarProgram } from './kernels/rows-scalar.ts';
import { sampleDispatch, sampleProgram, type SampleShape } from './kernels/sample.ts';
import { sampleScalarProgram } from './kernels/sample-scalar.ts';
import type { GpuHandle } from './device.ts';
import { GpuWeights, type EngineWeights, type GpuMatrix } from './engine-weights.ts';
import { PlannedDispatch } from './planned.ts';
import { KernelRunner } from './run-kernel.ts';

/** Which kernels run the layers: the tiled ones (workgroup memory, reductions across invocations: GPUs), or the
 *  scalar ones (one invocation per output, no barriers: CPU adapters such as SwiftShader, where barriers are slow). */
export type KernelSet = 'tiled' | 'scalar';

/** Whether an adapter is a Vulkan driver that runs on the CPU (SwiftShader, llvmpipe/lavapipe). */
export const isCpuAdapter = (adapterName: string): boolean => /swiftshader|llvmpipe|lavapipe/i.test(adapterName);

/** The kernel set for an adapter: scalar on the CPU Vulkan drivers, tiled elsewhere. */
export const kernelSetFor = (adapterName: string): KernelSet => (isCpuAdapter(adapterName) ? 'scalar' : 'tiled');

export interface WebGpuEngineOptions {
  /** Default: kernelSetFor(the adapter's name). */
  kernels?: KernelSet;
}

export type WebGpuEngineErrorCode = 'device_lost' | 'failed' | 'busy';

export class WebGpuEngineError extends Error {
  override readonly name = 'WebGpuEngineError';
  constructor(
    readonly code: WebGpuEngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** GPUBufferUsage / GPUMapMode flags (run-kernel.ts: the globals may be missing in Node). */
const MAP_READ_USAGE = 0x1 | 0x8;
const MAP_READ = 0x1;

/** The dispatches of one pass over T rows: decode (T = 1, matvec) or prefill (matmul). */
interface Plan {
  /** Embedding, layers, final LayerNorm (into hf for decode, into a for prefill). */
  body: PlannedDispatch[];
  /** Whether the final LayerNorm's last row must be copied from a to hf. */
  copyLast: boolean;
}

export class WebGpuEngine implements AsyncPrefixEngine {
  private readonly held: number[] = [];
  private readonly buffers: GPUBuffer[] = [];
  private readonly planned: PlannedDispatch[] = [];
  private decodePlan!: Plan;
  private prefillPlan!: Plan;
  private head!: {
    rowdot: PlannedDispatch;
    argmax: PlannedDispatch;
    masked: PlannedDispatch;
    best: PlannedDispatch;
    sample: PlannedDispatch;
    sampleMasked: PlannedDispatch;
  };
  /** The choice the sample dispatches make next (their params are written when they are encoded). */
  private sampling: SampleShape;
  private drew = false;
  private readonly weights: GpuWeights;
  private readonly device: GPUDevice;
  private best = -1;
  private busy = false;
  private broken: WebGpuEngineError | null = null;
  // Buffers (shapes at the top of the file).
  private readonly ids: GPUBuffer;
  private readonly x: GPUBuffer;
  private readonly a: GPUBuffer;
  private readonly hf: GPUBuffer;
  private readonly logits: GPUBuffer;
  private readonly mask: GPUBuffer;
  private readonly choice: GPUBuffer;
  private readonly bestId: GPUBuffer;
  private readonly sampled: GPUBuffer;
  private readonly logitsRead: GPUBuffer;
  private readonly choiceRead: GPUBuffer;

  private constructor(
    private readonly runner: KernelRunner,
    readonly config: ModelConfig,
    weights: EngineWeights,
    readonly kernels: KernelSet,
  ) {
    this.device = runner.device;
    this.weights = new GpuWeights(runner, weights);
    const { context: C, dModel: d, vocabSize: V } = config;
    this.ids = this.make(C * 4, 'ids');
    this.x = this.make(C * d * 4, 'x');
    this.a = this.make(C * d * 4, 'a');
    this.hf = this.make(d * 4, 'hf');
    this.logits = this.make(V * 4, 'logits');
    this.mask = this.make(Math.ceil(V / 32) * 4, 'mask');
    this.choice = this.make(4, 'choice');
    this.bestId = this.make(4, 'best');
    this.sampled = this.make(8, 'sampled');
    this.sampling = { vocab: V, temperature: 1, topK: 0, topP: 1, u: 0 };
    this.logitsRead = this.device.createBuffer({ label: 'logits readback', size: V * 4, usage: MAP_READ_USAGE });
    // [3] u32: greedy [the id, the unconstrained best]; sampled [the id, 1 if u was used, the unconstrained best].
    this.choiceRead = this.device.createBuffer({ label: 'choice readback', size: 12, usage: MAP_READ_USAGE });
    this.buffers.push(this.logitsRead, this.choiceRead);
    void this.device.lost.then((info) => {
      this.broken ??= new WebGpuEngineError('device_lost', `the WebGPU device was lost (${info.reason}): ${info.message}`);
    });
  }

  /** The engine on `gpu` (a handle from device.ts, or a runner over one), every pipeline compiled. */
  static async create(gpu: GpuHandle | KernelRunner, config: ModelConfig, weights: EngineWeights, options: WebGpuEngineOptions = {}): Promise<WebGpuEngine> {
    const runner = gpu instanceof KernelRunner ? gpu : new KernelRunner(gpu);
    const engine = new WebGpuEngine(runner, config, weights, options.kernels ?? kernelSetFor(runner.handle.adapterName));
    try {
      runner.device.pushErrorScope('validation');
      await engine.build();
      const error = await runner.device.popErrorScope();
      if (error !== null) throw new WebGpuEngineError('failed', `building the engine: ${error.message}`);
    } catch (e) {
      engine.destroy();
      throw e;
    }
    return engine;
  }

  get position(): number {
    return this.held.length;
  }

  get tokens(): readonly number[] {
    return this.held;
  }

  get lastBest(): number {
    return this.best;
  }

  get lastDrew(): boolean {
    return this.drew;
  }

  /** Bytes of weights on the GPU (an int8 checkpoint's matrices take a quarter of their F32 size, plus row scales). */
  get weightBytes(): number {
    return this.weights.bytes;
  }

  /** The adapter's name. */
  get adapterName(): string {
    return this.runner.handle.adapterName;
  }

  /** Why the engine can no longer run (device lost, a failed submission), or null. */
  get failure(): WebGpuEngineError | null {
    return this.broken;
  }

  async prefill(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new RangeError('prefill needs at least one token');
    return this.run(ids, () => this.logitsAfter(ids));
  }

  async step(id: number): Promise<Float32Array> {
    return this.run([id], () => this.logitsAfter([id]));
  }

  async greedyPrefill(ids: readonly number[], mask?: Uint32Array): Promise<number> {
    if (ids.length === 0) throw new RangeError('prefill needs at least one token');
    checkMask(mask, this.config.vocabSize);
    return this.run(ids, () => this.greedyAfter(ids, mask));
  }

  async greedyStep(id: number, mask?: Uint32Array): Promise<number> {
    checkMask(mask, this.config.vocabSize);
    return this.run([id], () => this.greedyAfter([id], mask));
  }

  /** Temperature 0 is greedyPrefill (u unused). */
  async samplePrefill(ids: readonly number[], sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> {
    if (ids.length === 0) throw new RangeError('prefill needs at least one token');
    checkSample(sampling, u, mask, this.config.vocabSize);
    return this.run(ids, () => this.sampleAfter(ids, sampling, u, mask));
  }

  async sampleStep(id: number, sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> {
    checkSample(sampling, u, mask, this.config.vocabSize);
    return this.run([id], () => this.sampleAfter([id], sampling, u, mask));
  }

  reset(): void {
    this.held.length = 0;
  }

  /** The cache rows past n are rewritten by whatever is consumed next. */
  truncate(n: number): void {
    checkTruncate(n, this.position);
    this.held.length = n;
  }

  destroy(): void {
    for (const p of this.planned) p.destroy();
    for (const b of this.buffers) b.destroy();
    this.weights.destroy();
  }

  private make(bytes: number, label: string): GPUBuffer {
    const buffer = this.runner.buffer(bytes, label);
    this.buffers.push(buffer);
    return buffer;
  }

  private async plan(program: KernelProgram, buffers: GPUBuffer[], shape: (rows: number, p0: number) => Dispatch): Promise<PlannedDispatch> {
    const p = await PlannedDispatch.make(this.runner, program, buffers, shape);
    this.planned.push(p);
    return p;
  }

  private async build(): Promise<void> {
    const { config, runner, weights: w } = this;
    const limits = runner.limits;
    const { context: C, dModel: d, heads, vocabSize: V, layerNormEps: eps } = config;
    const m = mlpWidth(config);
    const hd = headDim(config);
    const learned = config.positions === 'learned';
    const wte = w.matrix('wte', V, d);
    const wpe = learned ? w.matrix('wpe', C, d) : null;
    const tables = learned ? null : ropeTables(C, hd);
    const rope = tables === null ? [] : [this.upload(tables.cos, 'rope cos'), this.upload(tables.sin, 'rope sin')];
    const layers = Array.from({ length: config.layers }, (_, l) => {
      const p = `h.${l}`;
      return {
        ln1: [w.vector(`${p}.ln1.g`, d), w.vector(`${p}.ln1.b`, d)],
        qkv: { w: w.matrix(`${p}.attn.qkv.w`, d, 3 * d), b: w.vector(`${p}.attn.qkv.b`, 3 * d) },
        proj: { w: w.matrix(`${p}.attn.proj.w`, d, d), b: w.vector(`${p}.attn.proj.b`, d) },
        ln2: [w.vector(`${p}.ln2.g`, d), w.vector(`${p}.ln2.b`, d)],
        fc: { w: w.matrix(`${p}.mlp.fc.w`, d, m), b: w.vector(`${p}.mlp.fc.b`, m) },
        out: { w: w.matrix(`${p}.mlp.proj.w`, m, d), b: w.vector(`${p}.mlp.proj.b`, d) },
        kCache: this.make(C * d * 4, `h.${l} k cache`),
        vCache: this.make(C * d * 4, `h.${l} v cache`),
      };
    });
    const lnf = [w.vector('lnf.g', d), w.vector('lnf.b', d)];
    const qkv = this.make(C * 3 * d * 4, 'qkv');
    const q = this.make(C * d * 4, 'q');
    const att = this.make(C * d * 4, 'att');
    const hidden = this.make(C * m * 4, 'hidden');

    const scalar = this.kernels === 'scalar';
    const ln = scalar ? layerNormScalarProgram(limits) : layerNormProgram(d, limits);
    const norm = (gb: GPUBuffer[], x: GPUBuffer, y: GPUBuffer, fixedRows?: number): Promise<PlannedDispatch> =>
      this.plan(ln, [x, ...gb, y], (rows) => {
        const shape = { rows: fixedRows ?? rows, d, eps };
        return scalar ? layerNormScalarDispatch(ln, shape, limits) : layerNormDispatch(shape, limits);
      });
    const embed = embeddingProgram({ token: wte.dtype, position: wpe === null ? 'none' : wpe.dtype }, limits);
    const split = qkvSplitProgram(config.positions, limits);
    const attention = scalar ? attentionScalarProgram(hd, limits) : attentionProgram(hd, limits);
    const scale = 1 / Math.sqrt(hd);
    const attend = (rows: number, p0: number): Dispatch => {
      const shape = { rows, heads, d, p0, scale };
      return scalar ? attentionScalarDispatch(attention, shape, limits) : attentionDispatch(shape, limits);
    };

    const makePlan = async (decode: boolean): Promise<Plan> => {
      /** y (+)= x W + b: matvec for one row, matmul for several. */
      const linear = (x: GPUBuffer, lin: { w: GpuMatrix; b: GPUBuffer }, k: number, n: number, epilogue: Epilogue, y: GPUBuffer): Promise<PlannedDispatch> => {
        const buffers = [x, ...lin.w.buffers, lin.b, y];
        if (scalar) {
          const program = linearScalarProgram({ dtype: lin.w.dtype, epilogue, rowBlock: decode ? 1 : 4 }, limits);
          return this.plan(program, buffers, (rows) => linearScalarDispatch(program, { rows: decode ? 1 : rows, k, n }, limits));
        }
        if (decode) {
          const program = matvecProgram({ dtype: lin.w.dtype, epilogue }, limits);
          return this.plan(program, buffers, () => matvecDispatch(program, { k, n }, limits));
        }
        const program = matmulProgram({ dtype: lin.w.dtype, epilogue }, limits);
        return this.plan(program, buffers, (rows) => matmulDispatch(program, { rows, k, n }));
      };
      const body: PlannedDispatch[] = [
        await this.plan(embed, [this.ids, ...wte.buffers, ...(wpe?.buffers ?? []), this.x], (rows, p0) => embeddingDispatch(embed, { rows, d, p0 }, limits)),
      ];
      for (const layer of layers) {
        body.push(
          await norm(layer.ln1, this.x, this.a),
          await linear(this.a, layer.qkv, d, 3 * d, 'bias', qkv),
          await this.plan(split, [qkv, ...rope, q, layer.kCache, layer.vCache], (rows, p0) => qkvSplitDispatch(split, { rows, d, hd, p0 }, limits)),
          await this.plan(attention, [q, layer.kCache, layer.vCache, att], attend),
          await linear(att, layer.proj, d, d, 'bias_residual', this.x),
          await norm(layer.ln2, this.x, this.a),
          await linear(this.a, layer.fc, d, m, 'bias_gelu', hidden),
          await linear(hidden, layer.out, m, d, 'bias_residual', this.x),
        );
      }
      body.push(decode ? await norm(lnf, this.x, this.hf, 1) : await norm(lnf, this.x, this.a));
      return { body, copyLast: !decode };
    };
    this.decodePlan = await makePlan(true);
    this.prefillPlan = await makePlan(false);
    const rowdot = scalar ? rowdotScalarProgram(wte.dtype, limits) : rowdotProgram(wte.dtype, d, limits);
    const logitsShape = { rows: V, cols: d };
    const plain = scalar ? argmaxScalarProgram(false) : argmaxProgram(false, limits);
    const masked = scalar ? argmaxScalarProgram(true) : argmaxProgram(true, limits);
    const choose = (): Dispatch => (scalar ? argmaxScalarDispatch({ vocab: V }) : argmaxDispatch({ vocab: V }));
    const sample = scalar ? sampleScalarProgram(false) : sampleProgram(false, limits);
    const sampleMasked = scalar ? sampleScalarProgram(true) : sampleProgram(true, limits);
    this.head = {
      rowdot: await this.plan(rowdot, [this.hf, ...wte.buffers, this.logits], () =>
        scalar ? rowdotScalarDispatch(rowdot, logitsShape, limits) : rowdotDispatch(logitsShape, limits),
      ),
      argmax: await this.plan(plain, [this.logits, this.choice], choose),
      masked: await this.plan(masked, [this.logits, this.mask, this.choice], choose),
      best: await this.plan(plain, [this.logits, this.bestId], choose),
      sample: await this.plan(sample, [this.logits, this.sampled], () => sampleDispatch(this.sampling)),
      sampleMasked: await this.plan(sampleMasked, [this.logits, this.mask, this.sampled], () => sampleDispatch(this.sampling)),
    };
  }

  private upload(data: Float32Array, label: string): GPUBuffer {
    const buffer = this.runner.buffer(data, label);
    this.buffers.push(buffer);
    return buffer;
  }

  /** Consumes ids through `submission` (one submission and its readback); the engine's state moves only when it
   *  succeeds, and any failure but a RangeError breaks the engine. */
  private async run<T>(ids: readonly number[], submission: () => Promise<T>): Promise<T> {
    if (this.broken !== null) throw this.broken;
    if (this.busy) throw new WebGpuEngineError('busy', 'the engine is already running a call (await each call before the next)');
    checkIds(ids, this.config, this.position);
    this.busy = true;
    try {
      const out = await submission();
      this.held.push(...ids);
      return out;
    } catch (e) {
      if (e instanceof RangeError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      this.broken ??= new WebGpuEngineError('failed', `a WebGPU submission failed: ${message}`);
      throw this.broken;
    } finally {
      this.busy = false;
    }
  }

  /** Records the forward pass of ids at the current position up to the logits [V] (hf is the last row's final
   *  LayerNorm); the caller adds the head's choice and the copies, then submits. */
  private forward(ids: readonly number[]): { encoder: GPUCommandEncoder; head: GPUComputePassEncoder } {
    const { device, config } = this;
    const T = ids.length;
    const p0 = this.position;
    const d = config.dModel;
    device.queue.writeBuffer(this.ids, 0, Uint32Array.from(ids));
    const plan = T === 1 ? this.decodePlan : this.prefillPlan;
    const encoder = device.createCommandEncoder({ label: 'token' });
    const layers = encoder.beginComputePass({ label: 'layers' });
    for (const p of plan.body) p.encode(layers, T, p0);
    layers.end();
    if (plan.copyLast) encoder.copyBufferToBuffer(this.a, (T - 1) * d * 4, this.hf, 0, d * 4);
    const head = encoder.beginComputePass({ label: 'head' });
    this.head.rowdot.encode(head, 1, p0);
    return { encoder, head };
  }

  private async logitsAfter(ids: readonly number[]): Promise<Float32Array> {
    const { encoder, head } = this.forward(ids);
    head.end();
    encoder.copyBufferToBuffer(this.logits, 0, this.logitsRead, 0, this.config.vocabSize * 4);
    this.device.queue.submit([encoder.finish()]);
    await this.logitsRead.mapAsync(MAP_READ);
    const logits = new Float32Array(this.logitsRead.getMappedRange().slice(0));
    this.logitsRead.unmap();
    return logits;
  }

  /** The argmax under the mask into choice, the unconstrained one into best (choice itself without a mask). */
  private async greedyAfter(ids: readonly number[], mask: Uint32Array | undefined): Promise<number> {
    const { encoder, head } = this.forward(ids);
    const p0 = this.position;
    if (mask === undefined) this.head.argmax.encode(head, 1, p0);
    else {
      this.device.queue.writeBuffer(this.mask, 0, Uint32Array.from(mask));
      this.head.masked.encode(head, 1, p0);
      this.head.best.encode(head, 1, p0);
    }
    head.end();
    encoder.copyBufferToBuffer(this.choice, 0, this.choiceRead, 0, 4);
    encoder.copyBufferToBuffer(mask === undefined ? this.choice : this.bestId, 0, this.choiceRead, 4, 4);
    this.device.queue.submit([encoder.finish()]);
    const [choice, best] = await this.readChoice(2);
    if (choice === undefined || best === undefined || choice === NO_TOKEN || choice >= this.config.vocabSize) {
      throw new WebGpuEngineError('failed', `the argmax kernel gave no token (${String(choice)})`);
    }
    this.best = best;
    return choice;
  }

  /** The id sampled (sample.ts) from the logits under the mask into sampled, with whether it used u, and the
   *  unconstrained argmax into best (constrained-async.ts counts the steps whose best the grammar excludes);
   *  temperature 0 is greedyAfter, which uses no u. */
  private async sampleAfter(ids: readonly number[], sampling: SamplingOptions, u: number, mask: Uint32Array | undefined): Promise<number> {
    const { temperature, topK, topP } = checkSampling(sampling);
    if (temperature === 0) {
      const id = await this.greedyAfter(ids, mask);
      this.drew = false;
      return id;
    }
    const { encoder, head } = this.forward(ids);
    const p0 = this.position;
    this.sampling = { vocab: this.config.vocabSize, temperature, topK, topP, u };
    if (mask === undefined) this.head.sample.encode(head, 1, p0);
    else {
      this.device.queue.writeBuffer(this.mask, 0, Uint32Array.from(mask));
      this.head.sampleMasked.encode(head, 1, p0);
    }
    this.head.best.encode(head, 1, p0);
    head.end();
    encoder.copyBufferToBuffer(this.sampled, 0, this.choiceRead, 0, 8);
    encoder.copyBufferToBuffer(this.bestId, 0, this.choiceRead, 8, 4);
    this.device.queue.submit([encoder.finish()]);
    const [id, drew, best] = await this.readChoice(3);
    if (id === undefined || drew === undefined || best === undefined || id >= this.config.vocabSize) {
      throw new WebGpuEngineError('failed', `the sample kernel gave no token (${String(id)})`);
    }
    this.drew = drew !== 0;
    this.best = best;
    return id;
  }

  /** The first `words` u32 of the choice readback, once the submission that fills them is done. */
  private async readChoice(words: 2 | 3): Promise<Uint32Array> {
    await this.choiceRead.mapAsync(MAP_READ, 0, 4 * words);
    const out = new Uint32Array(this.choiceRead.getMappedRange(0, 4 * words).slice(0));
    this.choiceRead.unmap();
    return out;
  }
}
