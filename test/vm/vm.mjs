// A Linux VM for tests that need a real kernel (the USB gadget and host stacks, USB/IP):
// Debian's own kernel under qemu-system-x86_64 (TCG), an initramfs with busybox and the kernel
// modules asked for, and the host's root filesystem shared read-only over 9p, so that the guest
// runs the host's node, gdb-multiarch, openocd and pyocd without copying them.
//
//   import { runVm, vmUnavailable } from './vm.mjs';
//   const why = vmUnavailable();            // a reason string, or undefined when a VM can run
//   const r = await runVm({
//     modules: ['dummy_hcd', 'usb_f_acm'],  // dependencies added and ordered (modinfo -F depends)
//     script: 'lsusb > "$OUT/lsusb.txt"',   // guest shell script, run as root in the host's root fs
//     timeoutMs: 120_000,
//   });
//   // r.status: the script's exit status (undefined if it never finished); r.console: the serial
//   // console; r.files: { name: Buffer } of what the script left in $OUT; r.timedOut; r.seconds
//
// Inside the guest: the host's / (read-only, through 9p) with tmpfs on /tmp, /run, /mnt, /var/tmp
// and /root/.cache, devtmpfs on /dev, proc, sysfs and configfs mounted; this repository at its own
// path even where a tmpfs hides it (a clone under /tmp). `$OUT` is a writable 9p
// share that comes back as r.files; the script starts in `cwd` (default: this repository). Each
// module may carry parameters: 'dummy_hcd num=2'. The script's output goes to the console.
//
// Kernel and busybox come from Debian packages, fetched with `apt-get download` into the cache
// folder (BMP_VM_CACHE, default ~/.cache/bmp-gdbserver-vm) and unpacked with `dpkg-deb -x`; the
// kernel boots uncompressed (PVH), which is twice as fast under TCG as the bzImage. Nothing is
// installed on the host. QEMU is always killed, by the timeout if need be.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, chmodSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The cache folder: downloaded packages, the unpacked kernel, built initramfs images. */
export const cacheDir = process.env.BMP_VM_CACHE ?? join(homedir(), '.cache', 'bmp-gdbserver-vm');

/** Modules every VM needs: 9p over virtio-pci for the shares. */
export const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p'];

function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Why a VM cannot run here (a one-line reason), or undefined. */
export function vmUnavailable() {
  const qemu = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
  if (qemu.error || qemu.status !== 0) return 'qemu-system-x86_64 cannot run (install qemu-system-x86)';
  for (const tool of ['apt-get', 'dpkg-deb', 'cpio', 'xz', 'modinfo']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`]);
    if (r.status !== 0) return `${tool} is missing (scripts/install-test-deps.sh installs what the VM needs)`;
  }
  return undefined;
}

/** The version of the kernel Debian's linux-image-amd64 points at, e.g. 6.1.0-57-amd64. */
function currentKernelVersion() {
  const deps = sh('apt-cache', ['depends', 'linux-image-amd64']);
  const m = /Depends: linux-image-(\d[^\s]*-amd64)/.exec(deps);
  if (!m) throw new Error(`cannot read the kernel version from apt-cache depends linux-image-amd64:\n${deps}`);
  return m[1];
}

/** Downloads (once) and unpacks a Debian package into cacheDir/<dir>; returns that folder. */
function unpackPackage(pkg, dir) {
  const target = join(cacheDir, dir);
  if (existsSync(join(target, '.unpacked'))) return target;
  const debs = join(cacheDir, 'debs');
  mkdirSync(debs, { recursive: true });
  const have = () => readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!have()) sh('apt-get', ['download', pkg], { cwd: debs });
  const deb = have();
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${debs}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  sh('dpkg-deb', ['-x', join(debs, deb), target]);
  writeFileSync(join(target, '.unpacked'), deb + '\n');
  return target;
}

/**
 * The uncompressed kernel (an ELF with a PVH entry note) from the bzImage: the payload is one
 * xz stream inside it, found by its magic number.
 */
function extractVmlinux(vmlinuz, out) {
  if (existsSync(out)) return out;
  const image = readFileSync(vmlinuz);
  const magic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  for (let at = image.indexOf(magic); at >= 0; at = image.indexOf(magic, at + 1)) {
    const r = spawnSync('xz', ['-dc', '--single-stream'], { input: image.subarray(at), maxBuffer: 1 << 30 });
    if (r.status === 0 && r.stdout.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))) {
      writeFileSync(out + '.part', r.stdout);
      sh('mv', [out + '.part', out]);
      return out;
    }
  }
  throw new Error(`no xz-compressed ELF kernel found in ${vmlinuz}`);
}

/** Kernel version, uncompressed kernel, modules folder and busybox, fetched once. */
export function prepareKernel() {
  mkdirSync(cacheDir, { recursive: true });
  const version = process.env.BMP_VM_KERNEL ?? currentKernelVersion();
  const kernel = unpackPackage(`linux-image-${version}`, `linux-${version}`);
  const busybox = join(unpackPackage('busybox-static', 'busybox'), 'bin', 'busybox');
  const vmlinux = extractVmlinux(join(kernel, 'boot', `vmlinuz-${version}`), join(cacheDir, `vmlinux-${version}`));
  return { version, vmlinux, modulesDir: join(kernel, 'lib', 'modules', version), busybox };
}

const canonical = (name) => name.replace(/-/g, '_');

function indexModules(modulesDir) {
  const index = new Map();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ko')) index.set(canonical(e.name.slice(0, -3)), join(dir, e.name));
    }
  };
  walk(join(modulesDir, 'kernel'));
  return index;
}

/**
 * The modules named (each 'name' or 'name param=value ...') and their dependencies, in an order
 * that loads each after what it depends on: [{ name, file, params }].
 */
export function resolveModules(modulesDir, wanted) {
  const index = indexModules(modulesDir);
  const params = new Map();
  const order = [];
  const state = new Map(); // name -> 'visiting' | 'done'
  const visit = (name, from) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`module dependency cycle at ${name}`);
    const file = index.get(name);
    if (!file) throw new Error(`no module ${name} in ${modulesDir}${from ? ` (needed by ${from})` : ''}`);
    state.set(name, 'visiting');
    const deps = sh('modinfo', ['-F', 'depends', file]).trim();
    for (const dep of deps ? deps.split(',') : []) visit(canonical(dep.trim()), name);
    state.set(name, 'done');
    order.push({ name, file, params: params.get(name) ?? '' });
  };
  for (const spec of wanted) {
    const [name, ...rest] = spec.trim().split(/\s+/);
    if (rest.length) params.set(canonical(name), rest.join(' '));
  }
  for (const spec of wanted) visit(canonical(spec.trim().split(/\s+/)[0]));
  return order;
}

// The initramfs's /init: mounts, modules, the host's root through 9p, then the test script in a
// chroot; its status goes to $OUT/status; the VM powers off whatever happens.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ip link set lo up
while read -r name params; do
  insmod /modules/$name.ko $params || echo "vm: insmod $name failed"
done < /modules/order
n=/newroot
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot $n || { echo "vm: cannot mount the host root"; poweroff -f; }
mount -t devtmpfs dev $n/dev; mkdir -p $n/dev/pts $n/dev/shm; mount -t devpts devpts $n/dev/pts; mount -t tmpfs shm $n/dev/shm
mount -t proc proc $n/proc; mount -t sysfs sys $n/sys
mount -t configfs none $n/sys/kernel/config 2>/dev/null
for d in /tmp /run /mnt /var/tmp; do mount -t tmpfs -o mode=1777 tmp $n$d; done
[ -d $n/root/.cache ] && mount -t tmpfs tmp $n/root/.cache
mkdir -p $n/mnt/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out $n/mnt/out || echo "vm: cannot mount the results share"
echo "vm: running the script"
chroot $n /bin/sh /mnt/out/script.sh < /dev/console > /dev/console 2>&1
echo $? > $n/mnt/out/status
sync
umount $n/mnt/out
echo "vm: done"
poweroff -f
`;

/** Builds (once per module list) the initramfs; returns its path. */
export function buildInitramfs(kernel, modules) {
  const order = resolveModules(kernel.modulesDir, [...BASE_MODULES, ...modules]);
  const key = createHash('sha256').update(INIT).update(kernel.version).update(order.map((m) => `${m.name} ${m.params}`).join('\n')).digest('hex').slice(0, 16);
  const out = join(cacheDir, `initramfs-${key}.cpio`);
  if (existsSync(out)) return out;
  const stage = mkdtempSync(join(tmpdir(), 'bmp-vm-initramfs-'));
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev', 'modules', 'newroot']) mkdirSync(join(stage, d));
    copyFileSync(kernel.busybox, join(stage, 'bin', 'busybox'));
    chmodSync(join(stage, 'bin', 'busybox'), 0o755);
    symlinkSync('busybox', join(stage, 'bin', 'sh'));
    writeFileSync(join(stage, 'init'), INIT, { mode: 0o755 });
    for (const m of order) copyFileSync(m.file, join(stage, 'modules', `${m.name}.ko`));
    writeFileSync(join(stage, 'modules', 'order'), order.map((m) => `${m.name} ${m.params}`.trim()).join('\n') + '\n');
    const files = sh('sh', ['-c', 'find . | LC_ALL=C sort'], { cwd: stage });
    const r = spawnSync('cpio', ['-o', '-H', 'newc', '--quiet', '-R', '0:0'], { cwd: stage, input: files, maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`cpio failed: ${r.stderr}`);
    writeFileSync(out, r.stdout);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return out;
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * Boots the VM, runs `script` (shell) in it and resolves when QEMU has exited:
 * { status, console, files, timedOut, seconds }. Options: modules, script, timeoutMs (default
 * 150 s), memoryMb (default 1536), cpus (default 1), cwd (default this repository), env (extra
 * variables for the script), onConsole (called with each chunk of console output).
 */
export async function runVm(options) {
  const started = Date.now();
  const kernel = prepareKernel();
  const initrd = buildInitramfs(kernel, options.modules ?? []);
  const out = mkdtempSync(join(tmpdir(), 'bmp-vm-out-'));
  const env = { OUT: '/mnt/out', VM_CWD: options.cwd ?? repo, HOME: '/root', TERM: 'dumb', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...(options.env ?? {}) };
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n');
  // The repository comes through a share of its own as well: a clone under /tmp (as CI may make)
  // is hidden by the guest's tmpfs there, so it is mounted at its own path when it is not seen.
  const repoMount = `[ -d ${shellQuote(join(repo, 'test', 'vm'))} ] || { mkdir -p ${shellQuote(repo)} && ` +
    `mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose repo ${shellQuote(repo)}; }`;
  writeFileSync(join(out, 'script.sh'), `${exports}\n${repoMount}\ncd "$VM_CWD" || exit 125\n${options.script}\n`);
  const args = [
    '-accel', 'tcg', '-M', 'pc', '-cpu', 'max', '-m', String(options.memoryMb ?? 1536), '-smp', String(options.cpus ?? 1),
    '-nodefaults', '-display', 'none', '-no-reboot', '-serial', 'stdio',
    '-kernel', kernel.vmlinux, '-initrd', initrd,
    '-append', 'console=ttyS0 quiet panic=-1 oops=panic rdinit=/init',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${out},mount_tag=out,security_model=none,multidevs=remap`,
    '-virtfs', `local,path=${repo},mount_tag=repo,security_model=none,readonly=on,multidevs=remap`,
  ];
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let console = '';
  const take = (chunk) => {
    const text = chunk.toString('utf8');
    console += text;
    options.onConsole?.(text);
  };
  qemu.stdout.on('data', take);
  qemu.stderr.on('data', take);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    qemu.kill('SIGKILL');
  }, options.timeoutMs ?? 150_000);
  const kill = () => qemu.kill('SIGKILL');
  process.once('exit', kill);
  try {
    await new Promise((resolve) => qemu.once('close', resolve));
  } finally {
    clearTimeout(timer);
    process.removeListener('exit', kill);
  }
  const files = {};
  for (const name of readdirSync(out)) {
    const file = join(out, name);
    if (name !== 'script.sh' && statSync(file).isFile()) files[name] = readFileSync(file);
  }
  rmSync(out, { recursive: true, force: true });
  const statusText = files.status?.toString().trim();
  return {
    status: statusText !== undefined && /^\d+$/.test(statusText) ? Number(statusText) : undefined,
    console,
    files,
    timedOut,
    seconds: (Date.now() - started) / 1000,
  };
}

// `node test/vm/vm.mjs [module...] -- <shell command>`: boots the VM and runs the command (a
// quick way to look around in the guest).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const dashes = argv.indexOf('--');
  const modules = dashes >= 0 ? argv.slice(0, dashes) : [];
  const script = dashes >= 0 ? argv.slice(dashes + 1).join(' ') : 'uname -a; lsmod | head';
  const why = vmUnavailable();
  if (why) {
    process.stderr.write(`vm: ${why}\n`);
    process.exit(1);
  }
  const r = await runVm({ modules, script, timeoutMs: Number(process.env.BMP_VM_TIMEOUT ?? 150) * 1000, onConsole: (t) => process.stdout.write(t) });
  process.stdout.write(`\nvm: status ${r.status}${r.timedOut ? ' (timed out)' : ''}, ${r.seconds.toFixed(1)} s; files: ${Object.keys(r.files).join(' ')}\n`);
  process.exit(r.status ?? 1);
}

