// sdk/build.mjs: the built core loads exactly the part built with it (versioned URL).
import test from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {build} from '../../sdk/build.mjs';

test('the built core asks for the built part by the first 12 hex digits of its SHA-256', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lxl-sdk-build-'));
  try {
    await build(folder);
    const part = fs.readFileSync(path.join(folder, 'lxl-id-ui.js'));
    const core = fs.readFileSync(path.join(folder, 'lxl-id.js'), 'utf8');
    const version = createHash('sha256').update(part).digest('hex').slice(0, 12);
    assert.ok(core.includes(`/static/lxl-id-ui.js?v=${version}\``), `the core asks for ?v=${version}`);
  } finally {
    fs.rmSync(folder, {recursive: true, force: true});
  }
});
