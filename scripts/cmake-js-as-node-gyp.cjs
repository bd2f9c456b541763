#!/usr/bin/env node
// prebuildify has no cmake-js backend: it runs `<node-gyp> rebuild --target=.. --devdir=.. --arch=.. --release`
// and takes the first .node in build/Release. This stands in for node-gyp and builds with cmake-js.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const debug = process.argv.includes('--debug');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'rebuild', ...(debug ? ['--debug'] : [])];
const r = spawnSync(process.execPath, args, { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' });
process.exit(r.status ?? 1);
