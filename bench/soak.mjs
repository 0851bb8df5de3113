// Soak: many short GDB sessions back to back, with no pause, against `bmp-gdbserver --sim
// stm32f407` (the virtual CMSIS-DAP probe) run as its own process. Each session is what a
// script's GDB does: qSupported, !, vAttach;1, m (16 bytes), D, close. Reports sessions per
// second (wall), failures, and the server's resident memory and open file descriptors at the
// start, after 1,000 and after 10,000 sessions (read from /proc). Prints JSON lines.
//
//   node bench/soak.mjs [--sessions N]     (default 10000)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

const argv = process.argv.slice(2);
const total = argv.includes('--sessions') ? Number(argv[argv.indexOf('--sessions') + 1]) : 10_000;
const cli = new URL('../dist/lib/cli/bmp-gdbserver.js', import.meta.url).pathname;
// Node's options as the installed command gets them: from the script's #! line (npx runs it so).
const shebang = readFileSync(cli, 'utf8').split('\n', 1)[0];
const nodeArgs = shebang.replace(/^#!\S*env (-S )?node\s*/, '').split(/\s+/).filter(Boolean);
const server = spawn(process.execPath, [...nodeArgs, cli, '--sim', 'stm32f407', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
server.stdout.on('data', (d) => (log += d));
server.stderr.on('data', (d) => (log += d));
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`the server did not start:\n${log}`)), 15_000);
  const look = () => {
    const m = /extended-remote 127\.0\.0\.1:(\d+)/.exec(log);
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    } else setTimeout(look, 10);
  };
  look();
});

function rssMiB() {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return Math.round(Number(m[1]) / 102.4) / 10;
}
const fds = () => readdirSync(`/proc/${server.pid}/fd`).length;

function frame(payload) {
  let sum = 0;
  for (const b of Buffer.from(payload, 'latin1')) sum = (sum + b) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

/** One session; resolves with null on success or a reason. Event-driven: no polling delays. */
function session() {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const script = ['qSupported', '!', 'vAttach;1', 'm20000000,10', 'D'];
    const ok = [/PacketSize/, /^OK$/, /^T05/, /^[0-9a-f]{32}$/, /^OK$/];
    let step = 0;
    let text = '';
    const timer = setTimeout(() => finish(`timed out at ${script[step]}`), 5000);
    const finish = (reason) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    socket.on('connect', () => socket.write(frame(script[0])));
    socket.on('error', (e) => finish(e.message));
    socket.on('close', () => finish(step < script.length ? `closed at ${script[step]}: ${text}` : null));
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(text);
      if (!m) return;
      text = text.slice(m.index + m[0].length);
      if (!ok[step].test(m[1])) return finish(`${script[step]} answered ${m[1]}`);
      if (++step === script.length) return finish(null);
      socket.write(frame(script[step]));
    });
  });
}

const marks = new Map([[0, { rss: rssMiB(), fds: fds() }]]);
let failures = 0;
const reasons = new Map();
const started = process.hrtime.bigint();
for (let i = 1; i <= total; i++) {
  const reason = await session();
  if (reason) {
    failures++;
    const key = reason.replace(/\d+/g, 'N').slice(0, 80);
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  if (i === 1000 || i === total || i % 5000 === 0) marks.set(i, { rss: rssMiB(), fds: fds() });
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
server.kill('SIGTERM');

const row = {
  bench: `soak: ${total} back-to-back GDB sessions (connect, attach, read, detach, close) against bmp-gdbserver --sim stm32f407`,
  sessions_per_s: total / seconds,
  failures,
  ...(failures ? { failure_reasons: Object.fromEntries(reasons) } : {}),
};
for (const [n, m] of marks) {
  row[`rss_MiB_at_${n}`] = m.rss;
  row[`fds_at_${n}`] = m.fds;
}
const last = marks.get(total);
const at1000 = marks.get(Math.min(1000, total));
row.goal = 'no failures; memory levels off (growth from 1,000 to the end under 10 MiB); no fd growth from 1,000 on';
row.met = failures === 0 && last.rss - at1000.rss < 10 && last.fds <= at1000.fds;
process.stdout.write(JSON.stringify(row) + '\n');
