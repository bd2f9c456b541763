#!/usr/bin/env node
// Builds prebuilds/<platform>-<arch>/ with prebuildify through the cmake-js bridge, then rebuilds
// build/Release (prebuildify moves the binary out of it). Run after changing binding/ or CMakeLists.txt.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run([require.resolve('prebuildify/bin.js'), '--napi', '--strip', '--tag-libc', '--node-gyp', path.join(__dirname, 'cmake-js-as-node-gyp.cjs')]);
run([require.resolve('cmake-js/bin/cmake-js'), 'compile']);
