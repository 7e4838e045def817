// Minify the SDK's readable sources into what the IdP serves: sdk/dist/lxl-id.js (the core) and
// sdk/dist/lxl-id-button.js (the button part, when its source exists). A dev-only tool: the
// dist files are committed, so running the IdP needs no Node, and tests/sdk/test_sdk_static.py
// rebuilds into a temporary folder to check that what is served is exactly this build.
//
//   node sdk/build.mjs            (npm run build:sdk) writes sdk/dist/
//   node sdk/build.mjs <folder>   writes the same files into <folder>
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';
import {minify} from 'terser';

const SDK_FOLDER = path.dirname(fileURLToPath(import.meta.url));
const SOURCES = ['lxl-id.js', 'lxl-id-button.js'];

// The output is only reproducible with the terser that package.json pins: another version may
// minify differently, and the served-equals-build test would fail for no fault of the source.
const require = createRequire(import.meta.url);
const pinned = require('../package.json').devDependencies.terser;
const installed = require('terser/package.json').version;
if (installed !== pinned) {
  throw new Error(`sdk/build.mjs needs terser ${pinned} (package.json), found ${installed}: ` +
    'run `npm ci`');
}

const TERSER_OPTIONS = {
  // The SDK's own syntax level (tsconfig.sdk.json "target"): no newer syntax is introduced.
  ecma: 2020,
  // Classic scripts, one IIFE each: every name inside is private and may be shortened.
  module: false,
  compress: {passes: 2},
  mangle: true,
  // Keep the /*! banner: it tells whoever reads the served file where the readable source is.
  format: {comments: /^!/},
};

/** Minify each source that exists into `outFolder`; return the files written. */
export async function build(outFolder = path.join(SDK_FOLDER, 'dist')) {
  fs.mkdirSync(outFolder, {recursive: true});
  const written = [];
  for (const name of SOURCES) {
    const source = path.join(SDK_FOLDER, name);
    if (!fs.existsSync(source)) continue;
    const {code} = await minify({[name]: fs.readFileSync(source, 'utf8')}, TERSER_OPTIONS);
    const target = path.join(outFolder, name);
    fs.writeFileSync(target, code + '\n');
    written.push(target);
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of await build(process.argv[2] && path.resolve(process.argv[2]))) {
    console.log(`${path.relative(process.cwd(), file)}: ${fs.statSync(file).size} bytes`);
  }
}
