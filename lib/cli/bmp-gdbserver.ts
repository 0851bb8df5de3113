#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * bmp-gdbserver: a GDB server for Arm Cortex-M behind a CMSIS-DAP probe, or on the built-in
 * simulated target.
 *
 *   bmp-gdbserver --sim [profile]         the simulated target (stm32f407 unless named)
 *   bmp-gdbserver [--probe <serial>]      a CMSIS-DAP probe on USB
 *   bmp-gdbserver --list [--json]         what there is to debug
 *   bmp-gdbserver flash <file> [...]      program flash and exit
 *   bmp-gdbserver run <script.py> [...]   run a MicroPython script with the modules target, bmp, dap
 *   bmp-gdbserver repl [...]              the same modules at an interactive prompt
 *
 * This entry loads little: for `run` and `repl` it starts the MicroPython worker first
 * (early.ts), then loads the command (gdbserver-main.ts) while the worker starts up.
 */
import './early.js';

await import('./gdbserver-main.js');
