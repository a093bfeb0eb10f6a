// npm run bench [compiler|engine|replay|pack]: prints the figures of the benchmarks; nothing here asserts.
import { benchCompiler } from './compiler.js';
import { benchEngine } from './engine.js';
import { benchReplay } from './replay.js';

const only = process.argv[2];
if (!only || only === 'compiler') benchCompiler();
if (!only || only === 'engine') await benchEngine();
if (!only || only === 'replay') await benchReplay(5000, 1, 'bench', 'replay: a 1-day tenant through the pack (target < 60 s)');
if (!only || only === 'pack') await benchReplay(2000, 7, '1', 'pack targets: a 7-day tenant with every attack and look-alike');
