// Load test of `ascmh serve` with autocannon, on loopback only (127.0.0.1), bounded in time.
//
//   node bench/serve.mjs                           # 1M codes, 20 s per target (about 1.5 minutes)
//   node bench/serve.mjs --duration 3 --codes 100000   # smoke run
//   node bench/serve.mjs --codes 10000000          # the 10M row
//   node bench/serve.mjs --only batched --server-args '--threads 1 --max-batch 512'
//   node bench/serve.mjs --only batched --node-args '--cpu-prof --cpu-prof-dir=/tmp/prof'
//
// Three targets, each its own server process, measured one after the other in the same run by an
// autocannon process of its own (the machine has 2 cores: the server and the load generator must
// not share a process):
//   hello     a fastify hello-world route (GET /hello -> {"hello":"world"})
//   batched   ascmh serve, micro-batching on (the default)
//   unbatched ascmh serve --no-batching
// Each search is one 10-D text feature row (Wiki-shaped), k = 10, against N random 64-bit codes.
// Reported: req/s, latency p50/p99/p99.9 (autocannon, ms), event-loop delay of the server during
// the run, batch sizes (requests and queries per native search call), and the ratios to the goals:
// batched >= 50% of hello, >= 3x unbatched, p99 <= 20 ms.
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const here = fileURLToPath(import.meta.url);
const root = join(here, '..', '..');
const cli = join(root, 'dist', 'cli.js');

// ---- roles run in child processes -------------------------------------------------------------
if (opt('role') === 'hello') {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/hello', async () => ({ hello: 'world' }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`listening on ${address}\n`);
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
} else if (opt('role') === 'load') {
  const { default: autocannon } = await import('autocannon');
  const url = opt('url');
  const bodies = opt('bodies') ? JSON.parse(readFileSync(opt('bodies'), 'utf8')) : [];
  let next = 0;
  const request = bodies.length
    ? { method: 'POST', path: '/v1/search', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: bodies[next++ % bodies.length] }) }
    : { method: 'GET', path: '/hello' };
  const result = await autocannon({ url, connections: Number(opt('connections')), duration: Number(opt('duration')), requests: [request] });
  process.stdout.write(JSON.stringify({
    requests: result.requests.average,
    total: result.requests.total,
    latency: { p50: result.latency.p50, p99: result.latency.p99, p99_9: result.latency.p99_9, max: result.latency.max, mean: result.latency.mean },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    duration: result.duration,
  }) + '\n');
} else {
  await main();
}

// ---- the benchmark ----------------------------------------------------------------------------
async function main() {
  const codes = Number(opt('codes', '1000000'));
  const duration = Number(opt('duration', '20'));
  const connections = Number(opt('connections', '64'));
  const warmup = Number(opt('warmup', String(Math.min(3, Math.max(1, Math.round(duration / 5))))));
  const k = Number(opt('k', '10'));
  const only = opt('only', 'hello,batched,unbatched').split(',');
  const serverArgs = opt('server-args', '').split(' ').filter(Boolean);
  // Node flags for the ascmh servers, e.g. --node-args '--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const nodeArgs = opt('node-args', '').split(' ').filter(Boolean);
  const started = Date.now();
  const { ASCMH, DurableHammingIndex, HammingIndex, buildInfo, datasets } = await import(join(root, 'dist', 'index.js'));

  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s*(.+)/)?.[1] ?? cpu;
  } catch {}
  const info = buildInfo();
  console.log(`machine: ${cpu}, ${cpus().length} cores; node ${process.version}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} OPENBLAS_L2_SIZE=${process.env.OPENBLAS_L2_SIZE ?? '(unset)'}; popcount kernel ${HammingIndex.kernel}; pool threads ${info.poolThreads}`);
  if (loadavg()[0] >= 1.5) console.log(`caveat: the 1-minute load average is ${loadavg()[0].toFixed(2)} (>= 1.5): something else is running; the numbers are low and noisy`);
  console.log(`workload: ${codes.toLocaleString('en')} random 64-bit codes, k = ${k}, one 10-D text feature row per request, ${connections} connections, ${duration} s per target (after ${warmup} s warm-up), loopback only${serverArgs.length ? `; serve ${serverArgs.join(' ')}` : ''}`);

  const tmp = mkdtempSync(join(tmpdir(), 'ascmh-bench-serve-'));
  const children = new Set();
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  process.on('SIGINT', () => process.exit(130));
  try {
    // A Wiki-shaped model: 128-D image features, 10-D text features, 10 classes, 64 bits.
    const data = datasets.synthetic({ n: 2173, classes: 10, imageDim: 128, textDim: 10, seed: 1 });
    const model = await ASCMH.fit(data, { bits: 64, seed: 0 });
    const modelPath = join(tmp, 'wiki64.ascmh');
    await model.save(modelPath);
    const queries = datasets.synthetic({ n: 1000, classes: 10, imageDim: 128, textDim: 10, seed: 2 }).text;
    const bodies = [];
    for (let r = 0; r < 500; r++) bodies.push(JSON.stringify({ modality: 'text', features: [Array.from(queries.data.subarray(r * 10, r * 10 + 10))], k }));
    const bodiesFile = join(tmp, 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));

    // The index: random codes added in chunks and checkpointed into a snapshot.
    let t = Date.now();
    const dir = join(tmp, 'index');
    const index = await DurableHammingIndex.open(dir, { bits: 64, durability: 'none' });
    const chunk = 1 << 20;
    for (let done = 0; done < codes; done += chunk) {
      const n = Math.min(chunk, codes - done);
      await index.add({ count: n, bits: 64, data: randomFillSync(new Uint8Array(n * 8)) });
    }
    await index.checkpoint();
    console.log(`index of ${codes.toLocaleString('en')} codes built in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    // The engine's own ceiling, in this process and without HTTP: encoded text queries, k = 10,
    // batches of 64 queries one call at a time, and single queries 64 calls at a time.
    const textCodes = model.encode('text', { rows: 1000, cols: 10, data: queries.data });
    const engine = async (batch, parallel, seconds) => {
      const until = performance.now() + seconds * 1000;
      let done = 0, at = 0;
      const loop = async () => {
        while (performance.now() < until) {
          const from = at++ % Math.floor(1000 / batch) * batch;
          await index.searchAsync({ count: batch, bits: 64, data: textCodes.data.subarray(from * 8, (from + batch) * 8) }, { k });
          done += batch;
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: parallel }, loop));
      return done / ((performance.now() - t0) / 1000);
    };
    const seconds = Math.min(5, Math.max(1, duration / 4));
    await engine(64, 1, 0.5);
    const ceiling = { batched: await engine(64, 1, seconds), single: await engine(1, connections, seconds) };
    await index.close();
    console.log(`engine alone (no HTTP): ${Math.round(ceiling.batched).toLocaleString('en')} queries/s in batches of 64, ${Math.round(ceiling.single).toLocaleString('en')} queries/s one per call (${connections} calls at a time)`);

    // The three servers run side by side (batched and unbatched on copies of the index: one
    // process per directory), idle but for the one under load. The targets take turns, in
    // `rounds` rounds of duration / rounds seconds each, so that a burst of other work on the
    // machine hits all of them alike; each target's numbers are its median round (by req/s).
    const servers = {};
    for (const target of only) {
      let serverDir = dir;
      if (target !== 'hello') {
        serverDir = join(tmp, `index-${target}`);
        cpSync(dir, serverDir, { recursive: true });
      }
      const server = target === 'hello'
        ? spawn(process.execPath, [here, '--role', 'hello'], { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn(process.execPath, [...nodeArgs, cli, 'serve', '--model', modelPath, '--index', serverDir, '--port', '0', '--durability', 'fsync', ...serverArgs, ...(target === 'unbatched' ? ['--no-batching'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.add(server);
      const url = await new Promise((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]);
        });
        server.on('close', () => reject(new Error(`${target} server exited: ${out}`)));
      });
      servers[target] = { server, url };
    }
    const load = (target, seconds) => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [here, '--role', 'load', '--url', servers[target].url, '--connections', String(connections), '--duration', String(seconds), ...(target === 'hello' ? [] : ['--bodies', bodiesFile])], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.add(child);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (code) => {
        children.delete(child);
        code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited with ${code}`));
      });
    });
    const scrape = async (target) => (target === 'hello' ? null : { metrics: await (await fetch(`${servers[target].url}/metrics`)).text(), stats: await (await fetch(`${servers[target].url}/v1/stats`)).json() });
    for (const target of only) await load(target, warmup);
    const rounds = Math.max(1, Number(opt('rounds', String(Math.min(4, Math.max(1, Math.floor(duration / 5)))))));
    const perRound = duration / rounds;
    const all = Object.fromEntries(only.map((t) => [t, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of only) {
        const before = await scrape(target);
        const result = await load(target, perRound);
        const after = await scrape(target);
        result.load = loadavg()[0];
        if (after) {
          const gauge = (stat) => Number(new RegExp(`ascmh_event_loop_delay_seconds\\{stat="${stat}"\\} (\\S+)`).exec(after.metrics)?.[1] ?? NaN) * 1000;
          result.eventLoop = { mean: gauge('mean'), p99: gauge('p99'), max: gauge('max') };
          const b0 = before.stats.batching, b1 = after.stats.batching;
          const calls = b1.calls - b0.calls;
          result.batch = { calls, requestsPerCall: (b1.requests - b0.requests) / calls, queriesPerCall: (b1.queries - b0.queries) / calls };
          result.batch.p99Requests = histogramQuantile(after.metrics, before.metrics, 'ascmh_search_batch_requests', 0.99);
        }
        all[target].push(result);
        console.log(`round ${round + 1}/${rounds} ${target.padEnd(9)} ${Math.round(result.requests).toLocaleString('en').padStart(7)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  p99.9 ${result.latency.p99_9} ms  ` +
          `errors ${result.errors + result.timeouts} non-2xx ${result.non2xx}  load ${result.load.toFixed(2)}` +
          (result.batch ? `  event loop p99 ${result.eventLoop.p99.toFixed(1)} ms max ${result.eventLoop.max.toFixed(1)} ms  batch ${result.batch.requestsPerCall.toFixed(1)} requests/call (p99 <= ${result.batch.p99Requests})` : ''));
      }
    }
    for (const { server } of Object.values(servers)) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.on('close', resolve));
      children.delete(server);
    }
    const results = {};
    for (const target of only) {
      const sorted = [...all[target]].sort((x, y) => x.requests - y.requests);
      results[target] = { ...sorted[Math.floor((sorted.length - 1) / 2)], range: [sorted[0].requests, sorted.at(-1).requests] };
    }
    console.log('');
    console.log(`median of ${rounds} round(s) of ${perRound} s per target:`);
    console.log('| target | req/s (range) | p50 ms | p99 ms | p99.9 ms | event loop p99 / max ms | requests per native call |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const n = (x) => Math.round(x).toLocaleString('en');
    for (const [name, r] of Object.entries(results)) {
      console.log(`| ${name} | ${n(r.requests)} (${n(r.range[0])}-${n(r.range[1])}) | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.p99_9} | ${r.eventLoop ? `${r.eventLoop.p99.toFixed(1)} / ${r.eventLoop.max.toFixed(1)}` : ''} | ${r.batch ? r.batch.requestsPerCall.toFixed(1) : ''} |`);
    }
    const { hello, batched, unbatched } = results;
    if (batched && hello) console.log(`batched / hello-world: ${(batched.requests / hello.requests * 100).toFixed(0)}% (goal >= 50%)`);
    if (batched && unbatched) console.log(`batched / unbatched: ${(batched.requests / unbatched.requests).toFixed(2)}x (goal >= 3x)`);
    if (batched) console.log(`batched p99: ${batched.latency.p99} ms (goal <= 20 ms)`);
    if (batched) console.log(`batched / engine ceiling (batches of 64, no HTTP, no load generator): ${(batched.requests / ceiling.batched * 100).toFixed(0)}%; the engine's own batched / single ratio: ${(ceiling.batched / ceiling.single).toFixed(2)}x`);
    console.log(`load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    cleanup();
  }
}

/** A quantile of a Prometheus histogram between two scrapes (the upper bound of its bucket). */
function histogramQuantile(after, before, name, q, label = '') {
  const buckets = (text) => {
    const out = new Map();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`) || (label && !line.includes(label))) continue;
      const le = /le="([^"]+)"/.exec(line)[1];
      out.set(le, (out.get(le) ?? 0) + Number(line.split(' ').pop()));
    }
    return out;
  };
  const a = buckets(after), b = buckets(before);
  const les = [...a.keys()].sort((x, y) => (x === '+Inf' ? 1 : y === '+Inf' ? -1 : Number(x) - Number(y)));
  const total = (a.get('+Inf') ?? 0) - (b.get('+Inf') ?? 0);
  for (const le of les) if ((a.get(le) ?? 0) - (b.get(le) ?? 0) >= q * total) return le === '+Inf' ? Infinity : Number(le);
  return NaN;
}
