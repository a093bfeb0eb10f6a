// npm run bench: prints the figures of every benchmark; nothing here asserts.
import { benchCompiler } from './compiler.js';

const only = process.argv[2];
if (!only || only === 'compiler') benchCompiler();
