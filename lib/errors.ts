/** Error codes carried by every error this package throws. */
export type BmpErrorCode =
  | 'EINVAL' // an argument has the wrong type
  | 'ERANGE' // an argument is out of range or misaligned
  | 'EPROFILE' // unknown simulated profile
  | 'ENOMEM'
  | 'ECLOSED' // the object was closed
  | 'EBUSFAULT' // the target's bus answered with an error
  | 'EELF' // a malformed or unsupported ELF file
  | 'ENATIVE' // the native addon could not be loaded
  | 'ETIMEDOUT' // the target or probe did not answer in time (WAIT storms included)
  | 'ENOTARGET' // no target answers on the wire
  | 'EPROTO' // a wire protocol error (parity)
  | 'EPROBE' // the probe did not answer as expected
  | 'ENOTHALTED' // the operation needs a halted core
  | 'ENORESOURCE' // no free breakpoint or watchpoint comparator
  | 'ENOTATTACHED' // no target is attached
  | 'ENOPROBE' // no probe found, or not the one asked for
  | 'EAMBIGUOUS' // several probes and none chosen
  | 'EFLASH' // the flash controller reported an error
  | 'ELOCKED' // the flash controller stays locked
  | 'EPROTECTED' // the flash is write-protected
  | 'EVERIFY' // what was read back differs from what was written
  | 'EIMAGE' // a malformed image file (HEX, ELF) or one that does not fit the target
  | 'EADDRINUSE' // the TCP port asked for is taken
  | 'ENOTSUP' // the part, the simulated model or this probe does not have the feature asked for (the dap module on a USB probe)
  | 'EREFUSED' // refused on purpose: read-out protection, a part that does not match, no confirmation
  | 'EBUSY' // already started (a script's second bmp.init), or a USB gadget of that name exists
  | 'EACCES' // permission denied (a USB device without a udev rule, configfs without root)
  | 'EINTERNAL'; // a bug: please report it

/** An Error with a stable `code`, so callers can branch without parsing messages. */
export class BmpError extends Error {
  readonly code: BmpErrorCode;

  constructor(code: BmpErrorCode, message: string) {
    super(message);
    this.name = 'BmpError';
    this.code = code;
  }
}

/** Errors thrown by the addon carry `code` already; this gives them the BmpError type. */
export function fromNative(error: unknown): BmpError {
  if (error instanceof BmpError) return error;
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code;
    const wrapped = new BmpError((code ?? 'ENATIVE') as BmpErrorCode, error.message);
    wrapped.stack = error.stack;
    return wrapped;
  }
  return new BmpError('ENATIVE', String(error));
}
