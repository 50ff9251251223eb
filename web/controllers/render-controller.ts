// The viewport's behaviour: a three.js renderer on the host's canvas, an animation loop that advances the frame
// player and draws, and three cameras: orbit (OrbitControls over the house), follow (behind the agent), and the
// agent's own view (from its eye, with the sensor's vertical field of view).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { ROBOT } from '../../sim/robot.ts';
import { DEFAULT_SENSOR } from '../../sim/sensor.ts';
import { assertNever } from '../../sim/types.ts';
import type { FramePlayer } from '../view/frame-player.ts';
import type { SceneView } from '../view/scene-view.ts';
import { markIfSlow } from '../view/slow-mark.ts';

/** Whether WebGL runs on a CPU rasterizer (SwiftShader, llvmpipe), from the unmasked renderer string. */
export function isSoftwareRenderer(gl: WebGLRenderingContext | WebGL2RenderingContext): boolean {
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = info === null ? '' : String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL));
  return /swiftshader|llvmpipe|software/i.test(name);
}

export const CAMERA_MODES = ['orbit', 'follow', 'agent'] as const;
export type CameraMode = (typeof CAMERA_MODES)[number];

const scratch = new THREE.Vector3();
const behind = new THREE.Vector3();

export class RenderController implements ReactiveController {
  private renderer: THREE.WebGLRenderer | null = null;
  private readonly orbitCamera = new THREE.PerspectiveCamera(50, 1, 0.05, 200);
  private readonly followCamera = new THREE.PerspectiveCamera(60, 1, 0.05, 200);
  private readonly agentCamera = new THREE.PerspectiveCamera((DEFAULT_SENSOR.vfov * 180) / Math.PI, 1, 0.05, 100);
  private controls: OrbitControls | null = null;
  private view: SceneView | null = null;
  private player: FramePlayer | null = null;
  private frame = 0;
  private last = 0;
  private lastDraw = 0;
  private dirty = true;
  /** Frames per second at most: 30, or 15 on a software renderer (SwiftShader, llvmpipe). */
  private maxFps = 30;
  private resize: ResizeObserver | null = null;
  mode: CameraMode = 'orbit';
  /** Frames drawn (for tests and the status line). */
  drawn = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly canvas: () => HTMLCanvasElement | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.last = performance.now();
    this.frame = requestAnimationFrame(this.loop);
  }

  hostDisconnected(): void {
    cancelAnimationFrame(this.frame);
    this.resize?.disconnect();
    this.controls?.dispose();
    this.renderer?.dispose();
    this.renderer = null;
    this.controls = null;
  }

  /** Shows a scene (null clears it); compiles its shaders first so that the first draw is not a long task. */
  async setView(view: SceneView | null, player: FramePlayer | null): Promise<void> {
    this.view = view;
    this.player = player;
    const renderer = this.ensureRenderer();
    if (view === null || renderer === null) return;
    this.dirty = true;
    this.orbitCamera.position.set(view.center.x + view.radius * 0.9, view.radius * 1.3, view.center.z + view.radius * 0.9);
    this.controls?.target.copy(view.center);
    this.controls?.update();
    const started = performance.now();
    await renderer.compileAsync(view.scene, this.orbitCamera);
    markIfSlow('compile', started);
    // The first draw uploads every buffer: done here, while the episode is still loading.
    this.draw();
  }

  /** The canvas as a PNG data URL of the current drawing. */
  snapshot(): string | null {
    if (this.renderer === null || this.view === null) return null;
    this.draw();
    return this.renderer.domElement.toDataURL('image/png');
  }

  private ensureRenderer(): THREE.WebGLRenderer | null {
    if (this.renderer !== null) return this.renderer;
    const canvas = this.canvas();
    if (canvas === null) return null;
    // preserveDrawingBuffer: screenshots and snapshot() read the canvas between frames.
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: false });
    const software = isSoftwareRenderer(this.renderer.getContext());
    // A software rasterizer pays per pixel on the CPU the agent also needs: half resolution, half the frames.
    this.renderer.setPixelRatio(software ? 0.5 : Math.min(2, window.devicePixelRatio));
    this.maxFps = software ? 8 : 30;
    this.controls = new OrbitControls(this.orbitCamera, canvas);
    this.controls.enableDamping = true;
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(canvas);
    this.fit();
    return this.renderer;
  }

  /** Redraws at the next frame (after a camera switch, say). */
  invalidate(): void {
    this.dirty = true;
  }

  private fit(): void {
    this.dirty = true;
    const canvas = this.renderer?.domElement;
    if (!canvas || canvas.clientWidth === 0 || canvas.clientHeight === 0) return;
    this.renderer?.setSize(canvas.clientWidth, canvas.clientHeight, false);
    const aspect = canvas.clientWidth / canvas.clientHeight;
    for (const c of [this.orbitCamera, this.followCamera, this.agentCamera]) {
      c.aspect = aspect;
      c.updateProjectionMatrix();
    }
  }

  // Draws only when something changed (a new pose frame, the camera, the size), at most maxFps times a second:
  // with a software GL (SwiftShader) every presented frame costs the page's thread, so idle frames are not drawn.
  private readonly loop = (now: number): void => {
    this.frame = requestAnimationFrame(this.loop);
    if (now - this.lastDraw < 1000 / this.maxFps - 1) return;
    const seconds = Math.min(0.25, (now - this.last) / 1000);
    this.last = now;
    if (this.player?.tick(seconds)) this.dirty = true;
    if (this.mode === 'orbit' && this.controls?.update()) this.dirty = true;
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
    if (this.renderer === null || this.view === null) return;
    const started = performance.now();
    this.renderer.render(this.view.scene, this.camera());
    markIfSlow('draw', started);
    this.drawn++;
  }
}
