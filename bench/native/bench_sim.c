/* Simulator speed: the simulator must never be the bottleneck.
 *  - instructions per second executing the fixture firmware (goal: 20 million), ARMv6-M code,
 *  - instructions per second executing a Thumb-2 kernel on the Cortex-M3/M4 (goal: 50 million),
 *  - transaction-level DP/AP transfers per second, core halted (goal: 2 million),
 *  - bit-level SWD transfers per second over the simulated wire. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim_target.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool load_fixture(sim_target *t, const char *profile)
{
    char path[512];
    snprintf(path, sizeof path, "%s/test/fixtures/firmware/build/%s.bin", BMP_SOURCE_DIR, profile);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    static uint8_t image[65536];
    size_t n = fread(image, 1, sizeof image, f);
    fclose(f);
    return sim_target_init(t, profile) == SIM_OK && sim_target_load(t, 0x08000000, image, n) == SIM_OK;
}

static void connect(sim_target *t)
{
    sim_wire_out(t, 0xFFFFFFFFu, 32);
    sim_wire_out(t, 0xFFFFFFFFu, 28);
    sim_wire_out(t, 0xE79E, 16);
    sim_wire_out(t, 0xFFFFFFFFu, 32);
    sim_wire_out(t, 0xFFFFFFFFu, 28);
    sim_wire_out(t, 0, 2);
    uint32_t v = 0;
    sim_dp_transfer(t, false, true, 0, &v);
    v = 0x50000000;
    sim_dp_transfer(t, false, false, 4, &v);
    sim_target_advance(t, 100000000);
    v = 0x23000012;
    sim_dp_transfer(t, true, false, 0, &v);
    v = 0xE000EDF0; /* halt the core: DHCSR */
    sim_dp_transfer(t, true, false, 4, &v);
    v = 0xA05F0003;
    sim_dp_transfer(t, true, false, 0xC, &v);
}

/* Runs the loaded target for one second of wall time; million instructions per second. */
static double run_one_second(sim_target *t)
{
    sim_target_reset(t, SIM_RESET_SYSTEM);
    double start = now_s();
    uint64_t i0 = t->cpu.instructions;
    while (now_s() - start < 1.0) sim_target_advance(t, 10000000000ull); /* 10 ms slices */
    double wall = now_s() - start;
    return (t->cpu.instructions - i0) / wall / 1e6;
}

static void bench_instructions(void)
{
    static const char *const profiles[] = {"stm32f103", "stm32f407", "stm32h743"};
    for (unsigned p = 0; p < 3; p++) {
        sim_target t;
        if (!load_fixture(&t, profiles[p])) {
            fprintf(stderr, "cannot load the fixture for %s\n", profiles[p]);
            exit(1);
        }
        double mips = run_one_second(&t);
        printf("{\"bench\":\"sim instructions (%s fixture)\",\"million_per_second\":%.1f,"
               "\"goal\":\">= 20 million/s\",\"met\":%s}\n", profiles[p], mips, mips >= 20 ? "true" : "false");
        sim_target_free(&t);
    }
}

/* A Thumb-2 kernel as a compiler for Cortex-M3/M4 emits it: a CRC-like loop over a buffer with
 * LDR/STR (register offset), UBFX, an IT block, MLA/MLS, RBIT/CLZ, UDIV, LDRD/STRD and
 * PUSH.W/POP.W. Assembled with arm-none-eabi-as from this listing, linked at 0x08000000:
 *   .word 0x20002000, start + 1
 *   start: movw r0, #0; movt r0, #0x2000; mov.w r1, #256; movs r2, #0
 *   fill:  str.w r2, [r0, r2, lsl #2]; add.w r2, r2, #1; cmp r2, r1; bne.n fill
 *          ldr.w r7, =0xEDB88320
 *   outer: movs r3, #0; mvn r4, #0
 *   loop:  ldr.w r5, [r0, r3, lsl #2]; eor.w r4, r4, r5; ubfx r6, r4, #0, #1; lsrs r4, r4, #1
 *          cmp r6, #0; it ne; eorne.w r4, r4, r7; mla r8, r5, r3, r8; rbit r9, r5; clz r10, r9
 *          add.w r8, r8, r10; udiv r11, r8, r1; mls r11, r11, r1, r8; str.w r11, [r0, r3, lsl #2]
 *          adds r3, #1; cmp.w r3, #256; bne.w loop
 *          ldrd r5, r6, [r0, #8]; strd r5, r6, [r0, #16]; push.w {r4-r11}; pop.w {r4-r11}
 *          cmp r4, #0; b.w outer */
static const uint16_t thumb2_kernel[] = {
    0x2000, 0x2000, 0x0009, 0x0800, 0xF240, 0x0000, 0xF2C2, 0x0000, 0xF44F, 0x7180, 0x2200,
    0xF840, 0x2022, 0xF102, 0x0201, 0x428A, 0xD1F9, 0xF8DF, 0x705C, 0x2300, 0xF06F, 0x0400,
    0xF850, 0x5023, 0xEA84, 0x0405, 0xF3C4, 0x0600, 0x0864, 0x2E00, 0xBF18, 0xEA84, 0x0407,
    0xFB05, 0x8803, 0xFA95, 0xF9A5, 0xFAB9, 0xFA89, 0xEB08, 0x080A, 0xFBB8, 0xFBF1, 0xFB0B,
    0x8B11, 0xF840, 0xB023, 0x3301, 0xF5B3, 0x7F80, 0xF47F, 0xAFE2, 0xE9D0, 0x5602, 0xE9C0,
    0x5604, 0xE92D, 0x0FF0, 0xE8BD, 0x0FF0, 0x2C00, 0xF7FF, 0xBFD4, 0x0000, 0x8320, 0xEDB8,
};

static void bench_thumb2(void)
{
    static const char *const profiles[] = {"stm32f103", "stm32f407"};
    uint8_t image[sizeof thumb2_kernel];
    for (unsigned i = 0; i < sizeof thumb2_kernel / 2; i++) {
        image[2 * i] = (uint8_t)thumb2_kernel[i];
        image[2 * i + 1] = (uint8_t)(thumb2_kernel[i] >> 8);
    }
    for (unsigned p = 0; p < 2; p++) {
        sim_target t;
        if (sim_target_init(&t, profiles[p]) != SIM_OK || sim_target_load(&t, 0x08000000, image, sizeof image) != SIM_OK) {
            fprintf(stderr, "cannot set up %s\n", profiles[p]);
            exit(1);
        }
        double mips = run_one_second(&t);
        if (t.core.lockup || t.cpu.r[15] < 0x08000008u || t.cpu.r[15] >= 0x08000080u) {
            fprintf(stderr, "the Thumb-2 kernel left its loop on %s (PC 0x%08x)\n", profiles[p], t.cpu.r[15]);
            exit(1);
        }
        printf("{\"bench\":\"sim instructions (Thumb-2 kernel, %s)\",\"million_per_second\":%.1f,"
               "\"goal\":\">= 50 million/s\",\"met\":%s}\n", profiles[p], mips, mips >= 50 ? "true" : "false");
        sim_target_free(&t);
    }
}

static void bench_transfers(void)
{
    sim_target t;
    sim_target_init(&t, "stm32f407");
    connect(&t);
    uint32_t v = 0x20000000;
    sim_dp_transfer(&t, true, false, 4, &v);
    const unsigned n = 4000000;
    double start = now_s();
    for (unsigned i = 0; i < n; i++) {
        v = i;
        if (i & 1) sim_dp_transfer(&t, true, true, 0xC, &v);
        else sim_dp_transfer(&t, true, false, 0xC, &v);
    }
    double rate = n / (now_s() - start);
    printf("{\"bench\":\"sim DP/AP transfers, transaction level\",\"million_per_second\":%.2f,"
           "\"goal\":\">= 2 million/s\",\"met\":%s}\n", rate / 1e6, rate >= 2e6 ? "true" : "false");
    /* bit level: a 32-bit DRW read as a host bit-banger clocks it */
    const unsigned m = 400000;
    start = now_s();
    for (unsigned i = 0; i < m; i++) {
        sim_wire_out(&t, 0x9F, 8); /* AP read, A=0xC */
        sim_wire_in(&t, 4);        /* turnaround + ACK */
        sim_wire_in(&t, 32);
        sim_wire_in(&t, 2); /* parity + turnaround */
        sim_wire_out(&t, 0, 2);
    }
    rate = m / (now_s() - start);
    printf("{\"bench\":\"sim SWD transfers, bit level\",\"million_per_second\":%.2f}\n", rate / 1e6);
    sim_target_free(&t);
}

int main(void)
{
    bench_instructions();
    bench_thumb2();
    bench_transfers();
    return 0;
}
