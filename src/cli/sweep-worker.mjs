// Entry of a `dph sweep --jobs N` worker thread. A worker does not inherit the parent's tsx loader (nor vitest's
// transform when a test runs the CLI in-process), so it registers tsx itself before importing the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./sweep-worker-body.ts');
