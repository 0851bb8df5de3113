# The target being debugged, as the original probe's `target` module named it, on the Target API
# of bmp-gdbserver (the probe given to `bmp-gdbserver run` or `repl`). What each function does
# here, where the original left it open, is in README.md ("MicroPython scripts").
#
# Buffers are filled in place and their length is the length asked for; a buffer of the wrong
# length raises ValueError. Failures of the probe or the target raise RuntimeError with the
# reason. Addresses and register values are unsigned 32-bit integers.
from _bmp import call, mask, u32, writable, fill, hexof

# Why the core is halted (halt_poll), numbered as the Black Magic Probe numbers them.
HALT_RUNNING = 0
HALT_ERROR = 1
HALT_REQUEST = 2
HALT_STEPPING = 3
HALT_BREAKPOINT = 4
HALT_WATCHPOINT = 5
HALT_FAULT = 6

# Kinds of breakpoints and watchpoints (breakwatch_set, breakwatch_clear).
BREAK_SOFT = 0
BREAK_HARD = 1
WATCH_WRITE = 2
WATCH_READ = 3
WATCH_ACCESS = 4


def swdp_scan(assert_srst=False):
    """Scans the SW-DP; returns one description a core found ("STM32F40x/41x Cortex-M4").
    assert_srst: the next attach() resets the core by nRST and halts it at the reset vector."""
    return call("target.swdp_scan", bool(assert_srst))


def attach(n):
    """Attaches to core n (1-based, as swdp_scan listed them; scans first if need be) and halts it."""
    if not isinstance(n, int) or n < 1:
        raise ValueError("targets are numbered from 1, not %r" % (n,))
    call("target.attach", n)


def detach():
    """Leaves the core running with debug off."""
    call("target.detach")


def reattach():
    """Detaches if attached, then attaches to the same core again."""
    call("target.reattach")


def attached():
    return call("target.attached")


def driver_name():
    """The part ("STM32F40x/41x"), or None when nothing is attached."""
    return call("target.driver_name")


def core_name():
    """The core ("Cortex-M4"), or None when nothing is attached."""
    return call("target.core_name")


def check_error():
    """Whether a call on the target failed since the last check_error() (it raised then too)."""
    return call("target.check_error")


def mem_map():
    """The part's memories: [{memory_type, start, length[, blocksize]}]; memory_type is "flash",
    "ram", "rom" (system memory, IDs, options) or "device" (peripherals, system control space)."""
    flat = call("target.mem_map")  # type, start, length, block size (0: none), then the next
    regions = []
    for i in range(0, len(flat), 4):
        region = {"memory_type": flat[i], "start": mask(flat[i + 1]), "length": mask(flat[i + 2])}
        if flat[i + 3]:
            region["blocksize"] = mask(flat[i + 3])
        regions.append(region)
    return regions


def mem_map_xml():
    return call("target.mem_map_xml")


def mem_read(dst, src_addr):
    """Reads len(dst) bytes from src_addr into dst; 0 on success."""
    writable(dst, "dst")
    fill(dst, call("target.mem_read", u32(src_addr, "src_addr"), len(dst)))
    return 0


def mem_write(dst_addr, src):
    """Writes the bytes of src at dst_addr; 0 on success."""
    call("target.mem_write", u32(dst_addr, "dst_addr"), hexof(src, "src"))
    return 0


def flash_erase(addr, length):
    """Erases every flash block the range touches, now; 0 on success."""
    call("target.flash_erase", u32(addr, "addr"), u32(length, "length"))
    return 0


def flash_write(dst_addr, src):
    """Queues src for dst_addr (in flash); flash_done() programs what was queued. 0 on success."""
    call("target.flash_write", u32(dst_addr, "dst_addr"), hexof(src, "src"))
    return 0


def flash_done():
    """Programs and verifies what flash_write queued (erasing the blocks it touches); 0 on success."""
    call("target.flash_done")
    return 0


def tdesc_xml():
    """GDB's target description: the registers, in the order of regs_read."""
    return call("target.tdesc_xml")


def regs_size():
    """Bytes of regs_read's buffer: every register of the target description, in its order."""
    return call("target.regs_size")


def regs_read(buf):
    """Fills buf (regs_size() bytes) with every register, little-endian, in GDB's order."""
    writable(buf, "buf")
    fill(buf, call("target.regs_read", len(buf)))


def regs_write(buf):
    """Writes every register from buf, laid out as regs_read fills it."""
    call("target.regs_write", hexof(buf, "buf"))


def reg_read(n, buf):
    """Reads register n (GDB's number, as tdesc_xml gives it) into buf (its size); returns that size."""
    writable(buf, "buf")
    fill(buf, call("target.reg_read", u32(n, "n"), len(buf)))
    return len(buf)


def reg_write(n, buf):
    """Writes register n from buf (its size, little-endian); returns that size."""
    call("target.reg_write", u32(n, "n"), hexof(buf, "buf"))
    return len(buf)


def reset():
    """Resets the core; a halted core stays halted, at the reset vector."""
    call("target.reset")


def halt_request():
    """Halts the core."""
    call("target.halt_request")


def halt_resume(step=False):
    """Runs the core on, or executes one instruction (interrupts masked) if step."""
    call("target.halt_resume", bool(step))


def halt_poll():
    """(code, reason, watch_addr): a HALT_* code, the reason in words, and the address of the
    watchpoint that hit (0 otherwise). On the simulated target the core runs 1 ms a poll."""
    code, reason, addr = call("target.halt_poll")
    return (code, reason, mask(addr))


def breakwatch_set(type, addr, len):
    """Sets a BREAK_* breakpoint or WATCH_* watchpoint of len bytes at addr; 0 on success."""
    call("target.breakwatch", True, u32(type, "type"), u32(addr, "addr"), u32(len, "len"))
    return 0


def breakwatch_clear(type, addr, len):
    """Clears what breakwatch_set set; 0 on success."""
    call("target.breakwatch", False, u32(type, "type"), u32(addr, "addr"), u32(len, "len"))
    return 0


def cmdline(s):
    """The command line semihosting gives the program (SYS_GET_CMDLINE) under bmp.init's GDB server."""
    if not isinstance(s, str):
        raise TypeError("the command line must be a str")
    call("target.cmdline", s)


def heapsize(info):
    """What semihosting's SYS_HEAPINFO gives the program: [heap_base, heap_limit, stack_base, stack_limit]."""
    if len(info) != 4:
        raise ValueError("heapsize takes four addresses: heap base, heap limit, stack base, stack limit")
    call("target.heapinfo", *[u32(v, "an address") for v in info])


def help():
    print(_HELP)


_HELP = """target: the core being debugged
  swdp_scan(assert_srst=False) -> [str]   attach(n)   detach()   reattach()   attached()
  driver_name()   core_name()   check_error()   mem_map() -> [dict]   mem_map_xml()
  mem_read(dst: bytearray, src_addr) -> 0   mem_write(dst_addr, src) -> 0
  flash_erase(addr, length)   flash_write(dst_addr, src)   flash_done()
  tdesc_xml()   regs_size()   regs_read(buf)   regs_write(buf)   reg_read(n, buf)   reg_write(n, buf)
  reset()   halt_request()   halt_resume(step)   halt_poll() -> (code, reason, watch_addr)
  breakwatch_set(type, addr, len)   breakwatch_clear(type, addr, len)
  cmdline(s)   heapsize([heap_base, heap_limit, stack_base, stack_limit])
  HALT_RUNNING HALT_ERROR HALT_REQUEST HALT_STEPPING HALT_BREAKPOINT HALT_WATCHPOINT HALT_FAULT
  BREAK_SOFT BREAK_HARD WATCH_WRITE WATCH_READ WATCH_ACCESS"""
