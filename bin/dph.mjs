#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx dph` works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Dawn (WebGPU for Node) keeps native handles alive; exit explicitly once the command is done.
process.exit(code);
