# The bridge from the modules `target`, `bmp` and `dap` to bmp-gdbserver (lib/python/): each
# operation is one call into JavaScript that returns only once the probe has done it. Private:
# scripts import the three modules, not this one.
#
# Integers cross into JavaScript as signed 32-bit values in this MicroPython build, and come
# back the same way: u32() checks a value before it goes (JavaScript reads it back unsigned),
# and mask() makes one that came back unsigned again.
import _bmphost

_OK = 0
_RUNTIME = 1
_VALUE = 2
_INTERRUPT = 3
_TYPE = 4


def call(op, *args):
    """Runs `op` in bmp-gdbserver; returns its value (a list if it gave several), or raises."""
    status = _bmphost.call(op, *args)
    n = _bmphost.count()
    value = _bmphost.value() if n < 0 else [_bmphost.item(i) for i in range(n)]
    if status == _OK:
        return value
    if status == _INTERRUPT:
        raise KeyboardInterrupt
    if status == _VALUE:
        raise ValueError(value)
    if status == _TYPE:
        raise TypeError(value)
    raise RuntimeError(value)


def mask(value):
    return value & 0xFFFFFFFF


def u32(value, what):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__))
    if value < 0 or value > 0xFFFFFFFF:
        raise ValueError("%s must be 0 to 0xFFFFFFFF, not %d" % (what, value))
    return value


def writable(buf, what):
    if not isinstance(buf, (bytearray, memoryview)):
        raise TypeError("%s must be a bytearray (it is filled in), not %s" % (what, type(buf).__name__))
    return buf


def fill(buf, hexdigits):
    if len(buf):
        buf[0:len(buf)] = bytes.fromhex(hexdigits)


def hexof(data, what):
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("%s must be bytes, a bytearray or a memoryview, not %s" % (what, type(data).__name__))
    return bytes(data).hex()


# time.sleep and its kin wait without spinning, and let GDB's `monitor python` and Ctrl-C in.
def _sleep(seconds):
    call("time.sleep", max(0.0, float(seconds)))


def _sleep_ms(ms):
    call("time.sleep", max(0, ms) / 1000)


def _sleep_us(us):
    call("time.sleep", max(0, us) / 1000000)


def install():
    import time

    time.sleep = _sleep
    time.sleep_ms = _sleep_ms
    time.sleep_us = _sleep_us


def run_main(path):
    """Runs the script at `path` as __main__; returns its exit status (SystemExit's)."""
    import json
    import sys

    sys.argv.clear()
    sys.argv.append(path)
    for a in json.loads(_bmphost.args()):
        sys.argv.append(a)
    source = _bmphost.script()
    scope = {"__name__": "__main__", "__file__": path}
    try:
        exec(compile(source, path, "exec"), scope)
    except SystemExit as e:
        code = e.args[0] if e.args else None
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0
