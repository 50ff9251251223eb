// Furniture geometry in each piece's local frame: origin at the centre of its footprint on the floor, width
// along x, depth along z, the front (where one reaches in) facing +z. The World places these in the room.
import type { FurnitureCategory } from './description.ts';

export type Vec3 = [number, number, number];

/** An axis-aligned box in the furniture's local frame. */
export interface LocalBox {
  center: Vec3;
  half: Vec3;
}

/** A flat area objects rest on: `on` top of furniture, or `in` a container. y is the height of the surface. */
export interface Surface {
  kind: 'on' | 'in';
  level: number;
  center: Vec3;
  /** Half extents along local x and z. */
  half: [number, number];
  /** True when the surface belongs to the moving part (a drawer's tray). */
  onPart: boolean;
}

/** A moving part: a door hinged on the left edge, or a drawer sliding out along +z. Boxes are at the closed pose. */
export type PartModel =
  | { kind: 'hinge'; boxes: LocalBox[]; hinge: [number, number] }
  | { kind: 'slide'; boxes: LocalBox[]; travel: number };

export interface FurnitureModel {
  /** Static boxes of the shell. */
  shell: LocalBox[];
  part: PartModel | null;
  surfaces: Surface[];
  /** The space inside a container, at the closed pose (for drawers, it moves with the part). */
  interior: LocalBox | null;
  switchable: boolean;
  /** Reached only from the front (shelves and containers), rather than from any side. */
  frontOnly: boolean;
}

const PANEL = 0.03;
const PLINTH = 0.08;

function box(cx: number, cy: number, cz: number, hx: number, hy: number, hz: number): LocalBox {
  return { center: [cx, cy, cz], half: [hx, hy, hz] };
}

const SURFACE_MARGIN = 0.04;

function topSurface(w: number, h: number, d: number): Surface {
  return {
    kind: 'on',
    level: 0,
    center: [0, h, 0],
    half: [w / 2 - SURFACE_MARGIN, d / 2 - SURFACE_MARGIN],
    onPart: false,
  };
}

/** Open shelving: two sides, a back, and boards at evenly spaced levels. */
function shelf(w: number, h: number, d: number): FurnitureModel {
  const levels = Math.max(2, Math.min(5, Math.floor(h / 0.38)));
  const shell: LocalBox[] = [
    box(-w / 2 + PANEL / 2, h / 2, 0, PANEL / 2, h / 2, d / 2),
    box(w / 2 - PANEL / 2, h / 2, 0, PANEL / 2, h / 2, d / 2),
    box(0, h / 2, -d / 2 + PANEL / 2, w / 2 - PANEL, h / 2, PANEL / 2),
  ];
  const surfaces: Surface[] = [];
  const spacing = (h - PLINTH - PANEL) / (levels - 1);
  for (let i = 0; i < levels; i++) {
    const top = PLINTH + PANEL + i * spacing;
    shell.push(box(0, top - PANEL / 2, PANEL / 2, w / 2 - PANEL, PANEL / 2, d / 2 - PANEL / 2));
    surfaces.push({
      kind: 'on',
      level: i,
      center: [0, top, PANEL / 2],
      half: [w / 2 - PANEL - SURFACE_MARGIN, d / 2 - PANEL / 2 - SURFACE_MARGIN],
      onPart: false,
    });
  }
  return { shell, part: null, surfaces, interior: null, switchable: false, frontOnly: true };
}

/** A closed box with a door on its front: cabinets and fridges (the fridge has an inner board). */
function hingedContainer(w: number, h: number, d: number, innerBoards: number): FurnitureModel {
  const inner = { hx: w / 2 - PANEL, hz: d / 2 - PANEL / 2 };
  const shell: LocalBox[] = [
    box(0, PLINTH / 2 + PANEL / 2, 0, w / 2, (PLINTH + PANEL) / 2, d / 2), // plinth + bottom
    box(0, h - PANEL / 2, 0, w / 2, PANEL / 2, d / 2), // top
    box(-w / 2 + PANEL / 2, h / 2, 0, PANEL / 2, h / 2, d / 2), // left
    box(w / 2 - PANEL / 2, h / 2, 0, PANEL / 2, h / 2, d / 2), // right
    box(0, h / 2, -d / 2 + PANEL / 2, inner.hx, h / 2, PANEL / 2), // back
  ];
  const floorY = PLINTH + PANEL;
  const roofY = h - PANEL;
  const surfaces: Surface[] = [];
  const levels = innerBoards + 1;
  const spacing = (roofY - floorY) / levels;
  for (let i = 0; i < levels; i++) {
    const y = floorY + i * spacing;
    if (i > 0) shell.push(box(0, y - PANEL / 2, PANEL / 2, inner.hx, PANEL / 2, inner.hz));
    surfaces.push({
      kind: 'in',
      level: i,
      center: [0, y, PANEL / 2],
      half: [inner.hx - SURFACE_MARGIN, inner.hz - SURFACE_MARGIN],
      onPart: false,
    });
  }
  surfaces.push(topSurface(w, h, d));
  const doorT = 0.025;
  const part: PartModel = {
    kind: 'hinge',
    boxes: [box(0, (floorY + h) / 2 - 0.005, d / 2 + doorT / 2 + 0.004, w / 2 - 0.005, (h - floorY) / 2, doorT / 2)],
    hinge: [-w / 2, d / 2 + doorT / 2 + 0.004],
  };
  const interior = box(0, (floorY + roofY) / 2, PANEL / 2, inner.hx, (roofY - floorY) / 2, inner.hz);
  return { shell, part, surfaces, interior, switchable: false, frontOnly: true };
}

/** A chest with one shallow drawer at the top: a solid base below, the tray slides out along +z. */
function drawerChest(w: number, h: number, d: number): FurnitureModel {
  const trayDepth = 0.2; // inner height of the tray
  const gap = 0.006;
  const trayBottom = h - PANEL - gap - trayDepth - PANEL;
  const shell: LocalBox[] = [
    box(0, trayBottom / 2, 0, w / 2, trayBottom / 2, d / 2), // solid base up to the drawer
    box(0, h - PANEL / 2, 0, w / 2, PANEL / 2, d / 2), // top
    box(-w / 2 + PANEL / 2, h / 2, 0, PANEL / 2, h / 2, d / 2),
    box(w / 2 - PANEL / 2, h / 2, 0, PANEL / 2, h / 2, d / 2),
    box(0, h / 2, -d / 2 + PANEL / 2, w / 2 - PANEL, h / 2, PANEL / 2),
  ];
  const trayHx = w / 2 - PANEL - gap;
  const trayBack = -d / 2 + PANEL + gap;
  const trayFront = d / 2;
  const wallTop = h - PANEL - gap;
  const trayHz = (trayFront - trayBack) / 2;
  const trayCz = (trayFront + trayBack) / 2;
  const wallH = (wallTop - trayBottom - PANEL) / 2;
  const wallY = trayBottom + PANEL + wallH;
  const boxes: LocalBox[] = [
    box(0, trayBottom + PANEL / 2, trayCz, trayHx, PANEL / 2, trayHz), // bottom
    box(-trayHx + 0.01, wallY, trayCz, 0.01, wallH, trayHz), // left wall
    box(trayHx - 0.01, wallY, trayCz, 0.01, wallH, trayHz), // right wall
    box(0, wallY, trayBack + 0.01, trayHx - 0.02, wallH, 0.01), // back wall
    // The front panel covers the whole opening, so a closed drawer hides what it holds.
    box(0, (trayBottom + wallTop) / 2, trayFront + 0.0125, w / 2 - 0.005, (wallTop - trayBottom) / 2, 0.0125),
  ];
  const floorY = trayBottom + PANEL;
  const innerHz = trayHz - 0.02;
  const surfaces: Surface[] = [
    {
      kind: 'in',
      level: 0,
      center: [0, floorY, trayCz],
      half: [trayHx - 0.02 - SURFACE_MARGIN, innerHz - SURFACE_MARGIN],
      onPart: true,
    },
    topSurface(w, h, d),
  ];
  const interior = box(0, (floorY + wallTop) / 2, trayCz, trayHx - 0.02, (wallTop - floorY) / 2, innerHz);
  // Pulled out almost all the way, so that nothing inside stays hidden under the top.
  const travel = trayFront - trayBack - 0.03;
  return { shell, part: { kind: 'slide', boxes, travel }, surfaces, interior, switchable: false, frontOnly: true };
}

function solid(w: number, h: number, d: number, surface: boolean): FurnitureModel {
  return {
    shell: [box(0, h / 2, 0, w / 2, h / 2, d / 2)],
    part: null,
    surfaces: surface ? [topSurface(w, h, d)] : [],
    interior: null,
    switchable: false,
    frontOnly: false,
  };
}

export function furnitureModel(category: FurnitureCategory, size: [number, number, number]): FurnitureModel {
  const [w, h, d] = size;
  switch (category) {
    case 'table':
    case 'counter':
    case 'sofa':
    case 'bed':
      return solid(w, h, d, true);
    case 'shelf':
      return shelf(w, h, d);
    case 'cabinet':
      return hingedContainer(w, h, d, 0);
    case 'fridge':
      return hingedContainer(w, h, d, 1);
    case 'drawer':
      return drawerChest(w, h, d);
    case 'lamp':
      return { ...solid(w, h, d, false), switchable: true };
  }
}

/** Categories whose state includes openness. */
export function isOpenable(category: FurnitureCategory): boolean {
  return category === 'cabinet' || category === 'fridge' || category === 'drawer';
}
