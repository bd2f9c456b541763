#!/usr/bin/env node
// Builds the committed prebuilds: prebuilds/linux-x64/ with prebuildify through the cmake-js
// bridge, then rebuilds build/Release (prebuildify moves the binary out of it); and
// prebuilds/linux-arm64/, cross-compiled with cmake/aarch64-linux-gnu.cmake into build-arm64/ when
// the aarch64 toolchain and arm64 OpenBLAS are installed (scripts/arm64/build.sh installs them).
// Run after changing binding/ or CMakeLists.txt. `--arch x64` or `--arch arm64` builds only that one.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');

const ARM64_TOOLS = ['aarch64-linux-gnu-g++', 'aarch64-linux-gnu-strip'];
const ARM64_LIBS = ['/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.a', '/usr/lib/aarch64-linux-gnu/liblapacke.a'];
const onPath = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const arm64Missing = () => [...ARM64_TOOLS.filter((t) => !onPath(t)), ...ARM64_LIBS.filter((f) => !fs.existsSync(f))];

function buildHost() {
  run(process.execPath, [require.resolve('prebuildify/bin.js'), '--napi', '--strip', '--tag-libc', '--node-gyp', path.join(__dirname, 'cmake-js-as-node-gyp.cjs')]);
  run(process.execPath, [cmakeJs, 'compile']);
}

// A clean cross build in its own folder (build/ keeps the host's), stripped into the file name
// prebuildify would give it (node-gyp-build matches the glibc tag).
function buildArm64() {
  run(process.execPath, [cmakeJs, 'rebuild', '--out', 'build-arm64', `--CDCMAKE_TOOLCHAIN_FILE=${path.join(root, 'cmake', 'aarch64-linux-gnu.cmake')}`]);
  const dir = path.join(root, 'prebuilds', 'linux-arm64');
  fs.mkdirSync(dir, { recursive: true });
  run('aarch64-linux-gnu-strip', ['--strip-all', '-o', path.join(dir, 'ascmh.glibc.node'), path.join(root, 'build-arm64', 'Release', 'ascmh.node')]);
  console.log(`prebuild: ${path.relative(root, dir)}/ascmh.glibc.node`);
}

const argv = process.argv.slice(2);
const i = argv.indexOf('--arch');
const only = i >= 0 ? argv[i + 1] : undefined;
if (only !== undefined && !['x64', 'arm64'].includes(only)) {
  console.error(`make-prebuild: --arch takes x64 or arm64, not ${only}`);
  process.exit(2);
}
if (os.platform() !== 'linux' || os.arch() !== 'x64') {
  console.error('make-prebuild: the prebuilds are made on linux-x64 (arm64 by cross-compiling)');
  process.exit(2);
}
if (only !== 'x64') {
  const missing = arm64Missing();
  if (missing.length === 0) buildArm64();
  else if (only === 'arm64') {
    console.error(`make-prebuild: the arm64 cross build needs ${missing.join(', ')} (bash scripts/arm64/build.sh installs them)`);
    process.exit(1);
  } else console.error(`make-prebuild: skipping linux-arm64 (missing ${missing.join(', ')}; bash scripts/arm64/build.sh installs them)`);
}
if (only !== 'arm64') buildHost();
