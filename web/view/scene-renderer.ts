// Draws a SceneView on a canvas, on whichever thread holds it (the render worker's OffscreenCanvas, or the page's
// canvas where it cannot be handed over): a three.js renderer, an animation loop that advances the frame player and
// draws, and three cameras: orbit (OrbitControls over the house), follow (behind the agent), and the agent's own view
// (from its eye, with the sensor's vertical field of view).
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { ROBOT } from '../../sim/robot.ts';
import { DEFAULT_SENSOR } from '../../sim/sensor.ts';
import { assertNever } from '../../sim/types.ts';
import type { FramePlayer } from './frame-player.ts';
import type { SceneView } from './scene-view.ts';
import { markIfSlow } from './slow-mark.ts';
import type { CameraMode, RendererInfo, ViewSize } from './stage.ts';

/** The WebGL renderer's name, and whether it rasterizes on the CPU (SwiftShader, llvmpipe). */
export function rendererInfo(gl: WebGLRenderingContext | WebGL2RenderingContext): RendererInfo {
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const name = debug === null ? '' : String(gl.getParameter(debug.UNMASKED_RENDERER_WEBGL));
  return { name, software: /swiftshader|llvmpipe|software/i.test(name) };
}

/** The canvas gives no WebGL2 context (WebGL is off or blocked there, or the canvas has a context of another kind). */
export class WebGLContextError extends Error {
  override readonly name = 'WebGLContextError';
}

// What three's WebGLRenderer asks the canvas for (r187, antialias off): asked here first, so that a canvas without
// WebGL is a typed error rather than three's console error; three's own request then gets this same context.
const CONTEXT_ATTRIBUTES: WebGLContextAttributes = {
  alpha: true,
  depth: true,
  stencil: false,
  antialias: false,
  premultipliedAlpha: true,
  preserveDrawingBuffer: false,
  powerPreference: 'default',
  failIfMajorPerformanceCaveat: false,
};

const scratch = new THREE.Vector3();
const behind = new THREE.Vector3();

export class SceneRenderer {
  readonly info: RendererInfo;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly orbitCamera = new THREE.PerspectiveCamera(50, 1, 0.05, 200);
  private readonly followCamera = new THREE.PerspectiveCamera(60, 1, 0.05, 200);
  private readonly agentCamera = new THREE.PerspectiveCamera((DEFAULT_SENSOR.vfov * 180) / Math.PI, 1, 0.05, 100);
  private readonly controls: OrbitControls;
  /** Frames per second at most: 30, or 8 on a software renderer (SwiftShader, llvmpipe). */
  private readonly maxFps: number;
  private view: SceneView | null = null;
  private player: FramePlayer | null = null;
  private mode: CameraMode = 'orbit';
  private frame = 0;
  private running = false;
  private last = 0;
  private lastDraw = 0;
  private dirty = true;
  /** Frames drawn so far. */
  drawn = 0;

  /**
   * `input` is where the orbit camera's pointer and wheel events arrive: the canvas, or a stand-in for it. Throws a
   * WebGLContextError when the canvas gives no WebGL context.
   */
  constructor(canvas: HTMLCanvasElement | OffscreenCanvas, input: HTMLElement, size: ViewSize) {
    if (canvas.getContext('webgl2', CONTEXT_ATTRIBUTES) === null) throw new WebGLContextError('the canvas gives no WebGL2 context');
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: false });
    this.info = rendererInfo(this.renderer.getContext());
    // A software rasterizer pays per pixel on the CPU the agent also needs: half resolution, few frames.
    this.maxFps = this.info.software ? 8 : 30;
    this.controls = new OrbitControls(this.orbitCamera, input);
    this.controls.enableDamping = true;
    this.resize(size);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.last = performance.now();
    this.frame = requestAnimationFrame(this.loop);
  }

  stop(): void {
    this.running = false;
    cancelAnimationFrame(this.frame);
  }

  dispose(): void {
    this.stop();
    this.controls.dispose();
    this.renderer.dispose();
  }

  setMode(mode: CameraMode): void {
    this.mode = mode;
    this.dirty = true;
  }

  resize(size: ViewSize): void {
    this.dirty = true;
    if (size.width === 0 || size.height === 0) return;
    this.renderer.setPixelRatio(this.info.software ? 0.5 : Math.min(2, size.pixelRatio));
    this.renderer.setSize(size.width, size.height, false);
    for (const c of [this.orbitCamera, this.followCamera, this.agentCamera]) {
      c.aspect = size.width / size.height;
      c.updateProjectionMatrix();
    }
  }

  /** Shows a scene (null clears it); compiles its shaders first so that the first draw is not a long task. */
  async setView(view: SceneView | null, player: FramePlayer | null): Promise<void> {
    this.view = view;
    this.player = player;
    if (view === null) return;
    this.dirty = true;
    this.orbitCamera.position.set(view.center.x + view.radius * 0.9, view.radius * 1.3, view.center.z + view.radius * 0.9);
    this.controls.target.copy(view.center);
    this.controls.update();
    const started = performance.now();
    await this.renderer.compileAsync(view.scene, this.orbitCamera);
    markIfSlow('compile', started);
    // The first draw uploads every buffer: done here, while the episode is still loading.
    if (this.view === view) this.draw();
  }

  // Draws only when something changed (a new pose frame, the camera, the size), at most maxFps times a second:
  // with a software GL (SwiftShader) every presented frame costs CPU time, so idle frames are not drawn.
  private readonly loop = (now: number): void => {
    if (!this.running) return;
    this.frame = requestAnimationFrame(this.loop);
    if (now - this.lastDraw < 1000 / this.maxFps - 1) return;
    const seconds = Math.min(0.25, (now - this.last) / 1000);
    this.last = now;
    if (this.player?.tick(seconds)) this.dirty = true;
    if (this.mode === 'orbit' && this.controls.update()) this.dirty = true;
    if (!this.dirty) return;
    this.dirty = false;
    this.lastDraw = now;
    this.draw();
  };

  private camera(): THREE.PerspectiveCamera {
    const view = this.view;
    switch (this.mode) {
      case 'orbit':
        return this.orbitCamera;
      case 'follow': {
        if (view === null) return this.orbitCamera;
        const yaw = view.agentPose(scratch);
        // Forward is -z in the agent's frame: the camera sits behind (+z) and above, looking at the agent's head.
        behind.set(Math.sin(yaw) * 2.2, 1.8, Math.cos(yaw) * 2.2).add(scratch);
        this.followCamera.position.copy(behind);
        this.followCamera.lookAt(scratch.x, scratch.y + ROBOT.eyeHeight * 0.7, scratch.z);
        return this.followCamera;
      }
      case 'agent': {
        if (view === null) return this.orbitCamera;
        const robot = view.world.robot.view;
        this.agentCamera.position.copy(robot.position);
        this.agentCamera.position.y += ROBOT.eyeHeight;
        this.agentCamera.quaternion.copy(robot.quaternion);
        return this.agentCamera;
      }
      default:
        return assertNever(this.mode, 'camera mode');
    }
  }

  private draw(): void {
    if (this.view === null) return;
    const started = performance.now();
    this.renderer.render(this.view.scene, this.camera());
    markIfSlow('draw', started);
    this.drawn++;
  }
}
