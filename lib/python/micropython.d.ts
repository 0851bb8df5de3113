/** The parts of @micropython/micropython-webassembly-pyscript (no types of its own) used here. */
declare module '@micropython/micropython-webassembly-pyscript' {
  export interface PythonError extends Error {
    name: 'PythonError';
    /** The exception's class name ("ValueError"). */
    type: string;
  }

  export interface MicroPython {
    /** The Emscripten module (its exported C functions, among them the keyboard interrupt). */
    _module: { _mp_sched_keyboard_interrupt(): void };
    FS: {
      mkdir(path: string): void;
      writeFile(path: string, data: string | Uint8Array): void;
    };
    registerJsModule(name: string, module: object): void;
    pyimport(name: string): Record<string, unknown>;
    runPython(code: string): unknown;
    replInit(): void;
    /** Feeds one byte to the REPL; non-zero when it asks to leave (Ctrl-D on an empty line). */
    replProcessChar(chr: number): number;
  }

  export function loadMicroPython(options?: {
    pystack?: number;
    heapsize?: number;
    linebuffer?: boolean;
    stdout?: (data: Uint8Array) => void;
    stderr?: (data: Uint8Array) => void;
  }): Promise<MicroPython>;
}
