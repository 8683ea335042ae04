/**
 * Loss landscapes over the (r_w, r_l) plane: the grid (grid.ts), the optimum as a shape to draw (region.ts), and
 * 1-D slices and descent paths (slices.ts). Drawing them — CSV, SVG, canvas — lives in src/lib/viz.
 */
export * from './grid';
export * from './region';
export * from './slices';
