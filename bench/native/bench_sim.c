/* Simulator speed: the simulator must never be the bottleneck.
 *  - instructions per second executing the fixture firmware (goal: 20 million), ARMv6-M code,
 *  - instructions per second executing a Thumb-2 kernel on the Cortex-M3/M4 (goal: 50 million),
 *  - transaction-level DP/AP transfers per second, core halted (goal: 2 million),
 *  - bit-level SWD transfers per second over the simulated wire. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../test/native/thumb2_kernels.h"
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

static void bench_thumb2(void)
{
    static const char *const profiles[] = {"stm32f103", "stm32f407"};
    uint8_t image[sizeof thumb2_kernel_crc];
    thumb2_kernel_bytes(thumb2_kernel_crc, sizeof thumb2_kernel_crc / 2, image);
    for (unsigned p = 0; p < 2; p++) {
        sim_target t;
        if (sim_target_init(&t, profiles[p]) != SIM_OK || sim_target_load(&t, THUMB2_KERNEL_BASE, image, sizeof image) != SIM_OK) {
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
