# A probe script of the kind the original probe ran on itself, run here on the PC:
#
#   npx bmp-gdbserver run examples/watch-variable.py --sim stm32f407 \
#       --image test/fixtures/firmware/build/stm32f407.elf -- 0x20000004 3
#
# Scans the SWD port, attaches, describes the part, then watches a 32-bit variable: it runs the
# core until the program writes the variable, prints the new value and where the core stopped,
# and does that N times. Then it lets the core run on and detaches.
# Arguments: the variable's address (default 0x20000000) and how many writes to watch (3).
import struct
import sys

import target

addr = int(sys.argv[1], 0) if len(sys.argv) > 1 else 0x20000000
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def word_at(address):
    buf = bytearray(4)
    target.mem_read(buf, address)
    return struct.unpack("<I", buf)[0]


def register(n):
    buf = bytearray(4)
    target.reg_read(n, buf)
    return struct.unpack("<I", buf)[0]


cores = target.swdp_scan()
if not cores:
    print("No Cortex-M core answers on SWD")
    sys.exit(1)
for n, name in enumerate(cores, 1):
    print("%d  %s" % (n, name))
target.attach(1)
print("Attached to %s (%s)" % (target.driver_name(), target.core_name()))
for region in target.mem_map():
    print("  %-6s 0x%08x  %8d bytes" % (region["memory_type"], region["start"], region["length"]))
print("CPUID 0x%08x" % word_at(0xE000ED00))

target.breakwatch_set(target.WATCH_WRITE, addr, 4)
try:
    for i in range(count):
        target.halt_resume(False)
        while True:
            code, reason, where = target.halt_poll()
            if code != target.HALT_RUNNING:
                break
        if code != target.HALT_WATCHPOINT:
            print("Stopped for another reason: %s" % reason)
            break
        print("write %d to 0x%08x: 0x%08x (pc 0x%08x)" % (i + 1, where, word_at(addr), register(15)))
finally:
    target.breakwatch_clear(target.WATCH_WRITE, addr, 4)
    target.detach()
print("Detached; the target runs on")
