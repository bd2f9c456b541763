// Mixed soak test of `ascmh serve` on loopback (127.0.0.1), bounded in time: 95% searches,
// 2.5% adds, 2.5% deletes, for 5 minutes by default. Passes when no request failed and the
// server's RSS at the end is less than 5% above its RSS after the first minute.
//
//   node bench/soak.mjs                       # 5 minutes, 1M codes
//   node bench/soak.mjs --duration 60 --codes 200000
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const here = fileURLToPath(import.meta.url);
const root = join(here, '..', '..');

if (opt('role') === 'load') {
  // The load generator (its own process): a seeded 95 / 2.5 / 2.5 mix.
  const { default: autocannon } = await import('autocannon');
  const { searches, codes } = JSON.parse(readFileSync(opt('bodies'), 'utf8'));
  const size = Number(opt('size'));
  let seed = 12345;
  const rand = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let i = 0;
  const json = { 'content-type': 'application/json' };
  const setupRequest = (r) => {
    const x = rand();
    i++;
    if (x < 0.95) return { ...r, method: 'POST', path: '/v1/search', headers: json, body: searches[i % searches.length] };
    if (x < 0.975) return { ...r, method: 'POST', path: '/v1/items', headers: json, body: JSON.stringify({ codes: codes[i % codes.length] }) };
    const ids = Array.from({ length: 3 }, () => Math.floor(rand() * size));
    return { ...r, method: 'DELETE', path: '/v1/items', headers: json, body: JSON.stringify({ ids }) };
  };
  const result = await autocannon({ url: opt('url'), connections: Number(opt('connections')), duration: Number(opt('duration')), requests: [{ setupRequest }] });
  process.stdout.write(JSON.stringify({ requests: result.requests.average, total: result.requests.total, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, statusCodes: result.statusCodeStats, p99: result.latency.p99 }) + '\n');
} else {
  await main();
}

async function main() {
  const duration = Number(opt('duration', '300'));
  const codes = Number(opt('codes', '1000000'));
  const connections = Number(opt('connections', '32'));
  const { ASCMH, DurableHammingIndex, datasets } = await import(join(root, 'dist', 'index.js'));
  console.log(`soak: ${duration} s, ${codes.toLocaleString('en')} codes, ${connections} connections, 95% search / 2.5% add / 2.5% delete, durability fsync; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const tmp = mkdtempSync(join(tmpdir(), 'ascmh-soak-'));
  const children = new Set();
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });
  const data = datasets.synthetic({ n: 2173, classes: 10, imageDim: 128, textDim: 10, seed: 1 });
  const model = await ASCMH.fit(data, { bits: 64, seed: 0 });
  const modelPath = join(tmp, 'model.ascmh');
  await model.save(modelPath);
  const dir = join(tmp, 'index');
  const index = await DurableHammingIndex.open(dir, { bits: 64, durability: 'none' });
  await index.add({ count: codes, bits: 64, data: randomFillSync(new Uint8Array(codes * 8)) });
  await index.checkpoint();
  await index.close();
  const q = datasets.synthetic({ n: 1000, classes: 10, imageDim: 128, textDim: 10, seed: 2 }).text;
  const searches = Array.from({ length: 500 }, (_, r) => JSON.stringify({ modality: 'text', features: [Array.from(q.data.subarray(r * 10, r * 10 + 10))], k: 10 }));
  const adds = Array.from({ length: 200 }, () => Buffer.from(randomFillSync(new Uint8Array(5 * 8))).toString('base64'));
  const bodies = join(tmp, 'bodies.json');
  writeFileSync(bodies, JSON.stringify({ searches, codes: adds }));

  const server = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'serve', '--model', modelPath, '--index', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(server);
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('close', () => reject(new Error(`server exited: ${out}`)));
  });
  const rss = async () => Number(/process_resident_memory_bytes (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())[1]);
  const samples = [];
  const started = Date.now();
  const load = spawn(process.execPath, [here, '--role', 'load', '--url', url, '--connections', String(connections), '--duration', String(duration), '--bodies', bodies, '--size', String(codes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(load);
  let out = '';
  load.stdout.on('data', (d) => (out += d));
  const finished = new Promise((resolve) => load.on('close', resolve));
  const timer = setInterval(async () => {
    const t = (Date.now() - started) / 1000;
    const r = await rss().catch(() => NaN);
    samples.push({ t, rss: r });
    if (Math.round(t) % 30 < 5) console.log(`t=${t.toFixed(0)} s rss ${(r / 2 ** 20).toFixed(1)} MiB`);
  }, 5000);
  await finished;
  clearInterval(timer);
  const result = JSON.parse(out);
  const end = await rss();
  const stats = await (await fetch(`${url}/v1/stats`)).json();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.on('close', resolve));
  children.delete(server);
  const firstMinute = samples.find((s) => s.t >= Math.min(60, duration / 2)) ?? samples[0];
  const growth = (end - firstMinute.rss) / firstMinute.rss;
  const failed = result.errors + result.timeouts + result.non2xx;
  console.log(`requests: ${result.total.toLocaleString('en')} (${Math.round(result.requests)}/s), status codes ${JSON.stringify(result.statusCodes)}, errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, p99 ${result.p99} ms`);
  console.log(`index: ${stats.index.size.toLocaleString('en')} items at the end (${codes.toLocaleString('en')} at the start), ${stats.index.logWrites} log writes`);
  console.log(`rss: ${(firstMinute.rss / 2 ** 20).toFixed(1)} MiB at t=${firstMinute.t.toFixed(0)} s, ${(end / 2 ** 20).toFixed(1)} MiB at the end: ${(growth * 100).toFixed(2)}% (limit 5%)`);
  console.log(failed === 0 && growth < 0.05 ? 'soak: PASS' : 'soak: FAIL');
  process.exitCode = failed === 0 && growth < 0.05 ? 0 : 1;
}
