/**
 * What a simulated part keeps when it is switched off: its flash and its option bytes (the RDP
 * byte), in a file, so that a command-line tool run on `--sim <profile> --sim-state <file>` finds
 * the part as the last run left it, as a real board would be.
 *
 * The file is JSON: { format: "bmp-sim-state/1", profile, optionBytes: { rdp }, flash: { base,
 * size, data (base64) } }. `rdp` is the programmed byte: on an F4/F7 it takes effect at the
 * next power-up, which is when the file is read again.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import { BmpError } from './errors.js';
import { Sim } from './sim.js';

export const SIM_STATE_FORMAT = 'bmp-sim-state/1';

export interface SimState {
  format: typeof SIM_STATE_FORMAT;
  profile: string;
  optionBytes?: { rdp: number };
  flash: { base: number; size: number; data: string };
}

function flashOf(profile: string): { base: number; size: number } {
  const p = Sim.profiles().find((x) => x.name === profile);
  if (!p) throw new BmpError('EPROFILE', `unknown simulated profile '${profile}'`);
  return { base: p.flashBase, size: p.flashSize };
}

/** The state of a part of this profile: its flash (erased unless given) and option bytes. */
export function makeSimState(profile: string, options: { flash?: Uint8Array; rdp?: number } = {}): SimState {
  const { base, size } = flashOf(profile);
  const flash = new Uint8Array(size).fill(0xff);
  if (options.flash) flash.set(options.flash.subarray(0, size));
  return {
    format: SIM_STATE_FORMAT,
    profile,
    ...(options.rdp !== undefined ? { optionBytes: { rdp: options.rdp } } : {}),
    flash: { base, size, data: Buffer.from(flash).toString('base64') },
  };
}

/** Reads a state file (EINVAL if it is not one, or is for another profile). */
export function readSimState(file: string, profile: string): SimState {
  let state: SimState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as SimState;
  } catch (error) {
    throw new BmpError('EINVAL', `cannot read the simulated part's state from ${file}: ${(error as Error).message}`);
  }
  if (state?.format !== SIM_STATE_FORMAT) throw new BmpError('EINVAL', `${file} is not a simulated part's state (${SIM_STATE_FORMAT})`);
  if (state.profile !== profile) throw new BmpError('EINVAL', `${file} holds a ${state.profile}, not a ${profile}`);
  return state;
}

/** The flash bytes a state holds. */
export function simStateFlash(state: SimState): Uint8Array {
  return new Uint8Array(Buffer.from(state.flash.data, 'base64'));
}

/** Puts a state into a simulated part, then powers it up (option bytes loaded, core reset). */
export function applySimState(sim: Sim, state: SimState): void {
  const { base, size } = flashOf(sim.profile);
  const flash = simStateFlash(state);
  if (state.flash.base !== base || flash.length !== size) {
    throw new BmpError('EINVAL', `the state's flash (${flash.length} bytes at 0x${state.flash.base.toString(16)}) is not a ${sim.profile}'s`);
  }
  sim.load(base, flash);
  if (state.optionBytes) sim.setOptionBytes({ rdp: state.optionBytes.rdp });
  sim.reset('power-on');
}

/** The state of a simulated part now: its flash and its programmed RDP byte. */
export function captureSimState(sim: Sim): SimState {
  const { base, size } = flashOf(sim.profile);
  let rdp: number | undefined;
  try {
    rdp = sim.optionBytes().rdpProgrammed;
  } catch {
    rdp = undefined; // a profile without the option-byte model (the F1)
  }
  const state = makeSimState(sim.profile, { flash: sim.peek(base, size), rdp });
  return state;
}

/** Reads the state file into the part when it exists; returns whether it did. */
export function loadSimStateFile(sim: Sim, file: string): boolean {
  if (!existsSync(file)) return false;
  applySimState(sim, readSimState(file, sim.profile));
  return true;
}

export function saveSimStateFile(sim: Sim, file: string): void {
  writeFileSync(file, JSON.stringify(captureSimState(sim)) + '\n');
}
