#!/usr/bin/env node
// npm install hook: use the prebuilt binary when it loads here, else compile with cmake-js.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const fromSource = process.env.npm_config_build_from_source === 'true' || process.argv.includes('--build-from-source');

if (!fromSource) {
  try {
    require('node-gyp-build')(root);
    process.exit(0);
  } catch (err) {
    console.error(`ascmh: no usable prebuilt binary (${String(err.message).split('\n')[0]}); compiling from source`);
  }
}
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const r = spawnSync(process.execPath, [cmakeJs, 'compile'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    '\nascmh: building the native addon failed. It needs cmake, a C++17 compiler and the static ' +
      'OpenBLAS and LAPACKE libraries. On Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev liblapacke-dev\n'
  );
  process.exit(1);
}
