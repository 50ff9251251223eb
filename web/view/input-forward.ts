// The page's side of the orbit camera when the view is drawn in the render worker: the canvas's pointer and wheel
// events, as plain data for the worker's stand-in element (view/input-target.ts). The page does what the controls
// would have done to the real element: it captures the pointer for a drag (so moves outside the canvas still
// arrive), prevents scrolling on wheel and the context menu on right-drag. Moves are forwarded only during a drag.
import type { ViewInput, ViewInputType } from './stage.ts';

function inputOf(type: ViewInputType, e: PointerEvent | WheelEvent, canvas: HTMLCanvasElement): ViewInput {
  const rect = canvas.getBoundingClientRect();
  const x = e.clientX - rect.left;
  const y = e.clientY - rect.top;
  const pointer = e instanceof PointerEvent;
  const wheel = e instanceof WheelEvent;
  return {
    type,
    pointerId: pointer ? e.pointerId : 0,
    pointerType: pointer ? e.pointerType : 'mouse',
    button: e.button,
    clientX: x,
    clientY: y,
    pageX: x,
    pageY: y,
    deltaX: wheel ? e.deltaX : 0,
    deltaY: wheel ? e.deltaY : 0,
    deltaMode: wheel ? e.deltaMode : 0,
    ctrlKey: e.ctrlKey,
    metaKey: e.metaKey,
    shiftKey: e.shiftKey,
  };
}

/** Forwards `canvas`'s orbit input to `send`; returns what removes the listeners. */
export function forwardInput(canvas: HTMLCanvasElement, send: (input: ViewInput) => void): () => void {
  const down = (e: PointerEvent): void => {
    canvas.setPointerCapture(e.pointerId);
    canvas.focus();
    send(inputOf('pointerdown', e, canvas));
  };
  const move = (e: PointerEvent): void => {
    if (canvas.hasPointerCapture(e.pointerId)) send(inputOf('pointermove', e, canvas));
  };
  const up = (e: PointerEvent): void => send(inputOf('pointerup', e, canvas));
  const cancel = (e: PointerEvent): void => send(inputOf('pointercancel', e, canvas));
  const wheel = (e: WheelEvent): void => {
    e.preventDefault();
    send(inputOf('wheel', e, canvas));
  };
  const menu = (e: Event): void => e.preventDefault();
  canvas.addEventListener('pointerdown', down);
  canvas.addEventListener('pointermove', move);
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', cancel);
  canvas.addEventListener('wheel', wheel, { passive: false });
  canvas.addEventListener('contextmenu', menu);
  return () => {
    canvas.removeEventListener('pointerdown', down);
    canvas.removeEventListener('pointermove', move);
    canvas.removeEventListener('pointerup', up);
    canvas.removeEventListener('pointercancel', cancel);
    canvas.removeEventListener('wheel', wheel);
    canvas.removeEventListener('contextmenu', menu);
  };
}
