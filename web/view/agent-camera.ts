// The agent's own camera, for recordings: the SceneView drawn from the agent's eye (ROBOT.eyeHeight above its base,
// looking along its forward axis, -z, pitched down by the sensor's pitch, with the sensor's vertical field of view)
// at a small size (160x120), three ways, each encoded as PNG (record/format.ts documents the images):
//   - rgb: the scene as the app draws it (its lights and materials);
//   - depth: z-depth in metres as 8-bit grey, round(255 * min(d, DEPTH_RANGE_M) / DEPTH_RANGE_M), 255 where nothing is;
//   - segmentation: each entity in one flat colour (segmentationColor of its id; floors and walls of `floor:<room>`
//     and `wall`), black where nothing is.
// The agent's own body is hidden while it is drawn (the camera sits inside its head).
//
// It runs where the view is drawn (the render worker, or the page where a canvas cannot be handed to a worker), with
// its own WebGLRenderer on a small OffscreenCanvas (the viewport's renderer and canvas are untouched); it copies each
// pass to a 2D OffscreenCanvas of its kind and encodes those with convertToBlob. Depth and segmentation swap the
// meshes' materials for its own for the length of one draw and put them back before anything else runs. The passes
// are drawn in separate tasks, so that one capture never makes a long task (on the page, that would be a long
// main-thread task). Nothing is allocated per draw beyond the promises and blobs of the encoding.
import * as THREE from 'three';
import { CAMERA_KINDS, DEPTH_RANGE_M, type CameraImage, type CameraKind } from '../../record/format.ts';
import { ROBOT } from '../../sim/robot.ts';
import { DEFAULT_SENSOR } from '../../sim/sensor.ts';
import type { SceneView } from './scene-view.ts';
import { markIfSlow } from './slow-mark.ts';

export const AGENT_CAMERA_WIDTH = 160;
export const AGENT_CAMERA_HEIGHT = 120;

export class AgentCameraError extends Error {
  override readonly name = 'AgentCameraError';
}

/**
 * The segmentation colour of an id, 0xRRGGBB: FNV-1a of the id's UTF-16 code units, each channel kept at 64 or above
 * so that no entity is black (the background) or nearly so. Stable across runs, pages and machines.
 */
export function segmentationColor(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Fold the high byte in, then lift each channel into 64..255.
  const c = (h ^ (h >>> 24)) & 0xffffff;
  const lift = (v: number): number => 64 + Math.floor((v * 192) / 256);
  return (lift((c >> 16) & 0xff) << 16) | (lift((c >> 8) & 0xff) << 8) | lift(c & 0xff);
}

const VERTEX = /* glsl */ `
varying float vDepth;
void main() {
  vec4 viewPosition = modelViewMatrix * vec4(position, 1.0);
  vDepth = -viewPosition.z;
  gl_Position = projectionMatrix * viewPosition;
}`;

const DEPTH_FRAGMENT = /* glsl */ `
uniform float range;
varying float vDepth;
void main() {
  gl_FragColor = vec4(vec3(clamp(vDepth / range, 0.0, 1.0)), 1.0);
}`;

// Flat colour, written as it is: no lights, no colour-space conversion (a ShaderMaterial gets none unless asked).
const FLAT_FRAGMENT = /* glsl */ `
uniform vec3 color;
varying float vDepth;
void main() {
  gl_FragColor = vec4(color, 1.0);
}`;

function flatMaterial(hex: number): THREE.ShaderMaterial {
  const color = new THREE.Vector3(((hex >> 16) & 0xff) / 255, ((hex >> 8) & 0xff) / 255, (hex & 0xff) / 255);
  return new THREE.ShaderMaterial({ uniforms: { color: { value: color } }, vertexShader: VERTEX, fragmentShader: FLAT_FRAGMENT });
}

interface Target {
  canvas: OffscreenCanvas;
  context: OffscreenCanvasRenderingContext2D;
}

const yieldTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export interface AgentCameraOptions {
  width?: number;
  height?: number;
  /** Radians about the camera's x axis (negative: down); default the sensor's pitch. */
  pitch?: number;
}

export class AgentCamera {
  readonly width: number;
  readonly height: number;
  private readonly canvas: OffscreenCanvas;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly camera: THREE.PerspectiveCamera;
  private readonly tilt: THREE.Quaternion;
  private readonly targets: Record<CameraKind, Target>;
  private readonly depthMaterial: THREE.ShaderMaterial;
  private readonly black = new THREE.Color(0x000000);
  private readonly white = new THREE.Color(0xffffff);
  private view: SceneView | null = null;
  /** Every mesh of the view's scene, its segmentation material and (during a pass) its own material. */
  private meshes: THREE.Mesh[] = [];
  private flat: THREE.Material[] = [];
  private saved: (THREE.Material | THREE.Material[])[] = [];
  private readonly flatById = new Map<string, THREE.ShaderMaterial>();
  private capturing = false;

  constructor(options: AgentCameraOptions = {}) {
    this.width = options.width ?? AGENT_CAMERA_WIDTH;
    this.height = options.height ?? AGENT_CAMERA_HEIGHT;
    if (typeof OffscreenCanvas === 'undefined') throw new AgentCameraError('the agent camera needs OffscreenCanvas');
    this.canvas = new OffscreenCanvas(this.width, this.height);
    // preserveDrawingBuffer: each pass is copied out of the drawing buffer after the draw.
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: false, alpha: false, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(1);
    this.renderer.setSize(this.width, this.height, false);
    const sensor = DEFAULT_SENSOR;
    this.camera = new THREE.PerspectiveCamera((sensor.vfov * 180) / Math.PI, this.width / this.height, sensor.near, 100);
    this.tilt = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), options.pitch ?? sensor.pitch);
    const target = (): Target => {
      const canvas = new OffscreenCanvas(this.width, this.height);
      const context = canvas.getContext('2d', { alpha: false });
      if (context === null) throw new AgentCameraError('no 2D context for the agent camera');
      return { canvas, context };
    };
    this.targets = { rgb: target(), depth: target(), segmentation: target() };
    this.depthMaterial = new THREE.ShaderMaterial({ uniforms: { range: { value: DEPTH_RANGE_M } }, vertexShader: VERTEX, fragmentShader: DEPTH_FRAGMENT });
  }

  /**
   * Draws `view` from now on: finds its meshes and their entities, compiles the three passes' shaders
   * (compileAsync), and draws once (the first draw uploads every buffer): loading work, before the episode runs.
   */
  async setView(view: SceneView): Promise<void> {
    this.view = view;
    const owner = new Map<THREE.Object3D, string>();
    for (const e of view.world.entityList) {
      e.view.traverse((o) => owner.set(o, e.id));
      if (e.kind === 'furniture' && e.partView) e.partView.traverse((o) => owner.set(o, e.id));
    }
    this.meshes = [];
    this.flat = [];
    view.scene.traverse((o) => {
      if (!(o instanceof THREE.Mesh)) return;
      const id = owner.get(o) ?? (o.name || 'scene');
      let material = this.flatById.get(id);
      if (!material) {
        material = flatMaterial(segmentationColor(id));
        this.flatById.set(id, material);
      }
      this.meshes.push(o as THREE.Mesh);
      this.flat.push(material);
    });
    this.saved = new Array<THREE.Material | THREE.Material[]>(this.meshes.length);
    this.pose();
    const scene = view.scene;
    await this.renderer.compileAsync(scene, this.camera);
    this.swap('depth');
    try {
      await this.renderer.compileAsync(scene, this.camera);
    } finally {
      this.restore();
    }
    this.swap('segmentation');
    try {
      await this.renderer.compileAsync(scene, this.camera);
    } finally {
      this.restore();
    }
    // The first draw of each pass uploads buffers and links programs: loading work too, in tasks of their own.
    for (const kind of CAMERA_KINDS) {
      await yieldTask();
      this.draw(kind);
    }
  }

  /**
   * The three images of the view as it is posed now (the last pose frame shown), PNG-encoded, in CAMERA_KINDS
   * order. Each pass is drawn and copied in its own task, so call it when the pose stays put meanwhile (the episode's
   * gate: playback has drained and the world waits).
   */
  async capture(): Promise<CameraImage[]> {
    if (this.view === null) throw new AgentCameraError('the agent camera has no scene (setView first)');
    if (this.capturing) throw new AgentCameraError('a capture is under way');
    this.capturing = true;
    try {
      const encoded: Promise<Blob>[] = [];
      for (const kind of CAMERA_KINDS) {
        if (encoded.length > 0) await yieldTask();
        this.draw(kind);
        encoded.push(this.targets[kind].canvas.convertToBlob({ type: 'image/png' }));
      }
      const blobs = await Promise.all(encoded);
      const images: CameraImage[] = [];
      for (let i = 0; i < CAMERA_KINDS.length; i++) {
        const data = new Uint8Array(await blobs[i]!.arrayBuffer());
        images.push({ kind: CAMERA_KINDS[i]!, format: 'png', data, width: this.width, height: this.height });
      }
      return images;
    } finally {
      this.capturing = false;
    }
  }

  dispose(): void {
    this.depthMaterial.dispose();
    for (const m of this.flatById.values()) m.dispose();
    this.flatById.clear();
    this.meshes = [];
    this.flat = [];
    this.view = null;
    this.renderer.dispose();
    this.renderer.forceContextLoss();
  }

  // ---- drawing -------------------------------------------------------------------------------------------------

  /** The camera at the agent's eye, from the view's robot. */
  private pose(): void {
    const robot = this.view?.world.robot.view;
    if (!robot) return;
    this.camera.position.copy(robot.position);
    this.camera.position.y += ROBOT.eyeHeight;
    this.camera.quaternion.copy(robot.quaternion).multiply(this.tilt);
    this.camera.updateMatrixWorld();
  }

  /** Draws one pass and copies it to its kind's canvas (synchronously: nothing runs in between). */
  private draw(kind: CameraKind): void {
    const view = this.view;
    if (view === null) return;
    const started = performance.now();
    const scene = view.scene;
    const robot = view.world.robot.view;
    const background = scene.background;
    const robotVisible = robot.visible;
    robot.visible = false;
    this.pose();
    if (kind !== 'rgb') {
      scene.background = kind === 'depth' ? this.white : this.black;
      this.swap(kind);
    }
    try {
      this.renderer.render(scene, this.camera);
    } finally {
      if (kind !== 'rgb') this.restore();
      scene.background = background;
      robot.visible = robotVisible;
    }
    const target = this.targets[kind];
    target.context.drawImage(this.canvas, 0, 0);
    markIfSlow(`camera-${kind}`, started);
  }

  private swap(kind: 'depth' | 'segmentation'): void {
    const meshes = this.meshes;
    for (let i = 0; i < meshes.length; i++) {
      const mesh = meshes[i]!;
      this.saved[i] = mesh.material;
      mesh.material = kind === 'depth' ? this.depthMaterial : this.flat[i]!;
    }
  }

  private restore(): void {
    const meshes = this.meshes;
    for (let i = 0; i < meshes.length; i++) {
      const saved = this.saved[i];
      if (saved !== undefined) meshes[i]!.material = saved;
    }
  }
}
