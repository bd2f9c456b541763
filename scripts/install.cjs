#!/usr/bin/env node
// npm install hook: use the prebuilt binary when it loads here, else compile with cmake-js. The
// compiler toolchain (cmake-js, node-addon-api) is an optional peer dependency: a user of the
// prebuild does not install it, and one who must compile is told what to install.
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

const resolveFrom = (request) => {
  try {
    return require.resolve(request, { paths: [root] });
  } catch {
    return undefined;
  }
};
const cmakeJs = resolveFrom('cmake-js/bin/cmake-js');
const missing = [cmakeJs ? undefined : 'cmake-js', resolveFrom('node-addon-api') ? undefined : 'node-addon-api'].filter(Boolean);
if (missing.length > 0) {
  const peers = require(path.join(root, 'package.json')).peerDependencies;
  console.error(
    `\nascmh: compiling the native addon needs ${missing.join(' and ')} (optional peer dependencies, not installed). ` +
      `Install them beside ascmh, then rebuild:\n  npm install ${missing.map((m) => `${m}@${JSON.stringify(peers[m])}`).join(' ')} && npm rebuild ascmh\n` +
      'It also needs cmake, a C++17 compiler and the static OpenBLAS and LAPACKE libraries. On Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev liblapacke-dev\n'
  );
  process.exit(1);
}
const r = spawnSync(process.execPath, [cmakeJs, 'compile'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    '\nascmh: building the native addon failed. It needs cmake, a C++17 compiler and the static ' +
      'OpenBLAS and LAPACKE libraries. On Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev liblapacke-dev\n'
  );
  process.exit(1);
}
