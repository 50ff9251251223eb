// The canvas as the orbit controls see it in the render worker, where there is no DOM: the page forwards the
// canvas's pointer and wheel events (view/input-forward.ts) and its size, and this stands in for the element. It
// has what three's OrbitControls reads: add/removeEventListener (on itself and on its ownerDocument, which is
// itself: the page already captures the pointer, so a drag's moves arrive here), clientWidth/clientHeight,
// getBoundingClientRect, style, and pointer capture (the page does it).
import type { ViewInput } from './stage.ts';

/** A forwarded event as the listeners get it. */
export type InputEvent = ViewInput & { preventDefault(): void };
type Listener = (event: InputEvent) => void;

export class InputTarget {
  clientWidth = 0;
  clientHeight = 0;
  readonly style: Record<string, string> = {};
  private readonly listeners = new Map<string, Set<Listener>>();

  get ownerDocument(): InputTarget {
    return this;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  setPointerCapture(): void {}

  releasePointerCapture(): void {}

  getBoundingClientRect(): { left: number; top: number; width: number; height: number; right: number; bottom: number; x: number; y: number } {
    const width = this.clientWidth;
    const height = this.clientHeight;
    return { left: 0, top: 0, x: 0, y: 0, width, height, right: width, bottom: height };
  }

  resize(width: number, height: number): void {
    this.clientWidth = width;
    this.clientHeight = height;
  }

  dispatch(input: ViewInput): void {
    const set = this.listeners.get(input.type);
    if (set === undefined) return;
    // The page has already prevented the browser's default (scrolling on wheel).
    const event: InputEvent = { ...input, preventDefault: () => undefined };
    for (const listener of [...set]) listener(event);
  }

  /** This stand-in as the element type three's controls are declared with (they read only what is above). */
  asElement(): HTMLElement {
    return this as unknown as HTMLElement;
  }
}
