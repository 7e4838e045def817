// Minify the SDK's readable sources into what the IdP serves: sdk/dist/lxl-id.js (the core) and
// sdk/dist/lxl-id-ui.js (the button part, whose hash the core's URL for it carries; see
// PART_VERSION_MARK). A dev-only tool: the dist files are committed, so running the IdP needs
// no Node, and tests/sdk/test_sdk_static.py rebuilds into a temporary folder to check that what
// is served is exactly this build.
//
//   node sdk/build.mjs            (npm run build:sdk) writes sdk/dist/
//   node sdk/build.mjs <folder>   writes the same files into <folder>
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';
import {minify} from 'terser';

const SDK_FOLDER = path.dirname(fileURLToPath(import.meta.url));
const CORE = 'lxl-id.js';
const PART = 'lxl-id-ui.js';
// The core's one marked constant: the built core loads the part it was built with, at
// `lxl-id-ui.js?v=<first 12 hex digits of the built part's SHA-256>`.
const PART_VERSION_MARK = "const PART_VERSION = 'source';";

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

/** Minify the part, then the core pointing at that part's version, into `outFolder`; return
 * the files written. */
export async function build(outFolder = path.join(SDK_FOLDER, 'dist')) {
  fs.mkdirSync(outFolder, {recursive: true});
  const part = await minifyInto(outFolder, PART, source => source);
  const version = createHash('sha256').update(part).digest('hex').slice(0, 12);
  await minifyInto(outFolder, CORE, source => {
    if (source.split(PART_VERSION_MARK).length != 2) {
      throw new Error(`sdk/${CORE} must hold exactly one \`${PART_VERSION_MARK}\``);
    }
    return source.replace(PART_VERSION_MARK, `const PART_VERSION = '${version}';`);
  });
  return [PART, CORE].map(name => path.join(outFolder, name));
}

/** Minify sdk/<name>, as `prepare` changes its text, into `outFolder`; return what it wrote.
 * @param {string} outFolder @param {string} name @param {(source: string) => string} prepare */
async function minifyInto(outFolder, name, prepare) {
  const source = prepare(fs.readFileSync(path.join(SDK_FOLDER, name), 'utf8'));
  const {code} = await minify({[name]: source}, TERSER_OPTIONS);
  const built = code + '\n';
  fs.writeFileSync(path.join(outFolder, name), built);
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of await build(process.argv[2] && path.resolve(process.argv[2]))) {
    console.log(`${path.relative(process.cwd(), file)}: ${fs.statSync(file).size} bytes`);
  }
}
