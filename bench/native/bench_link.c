/* The target layer through the virtual probe, in virtual time (the link benchmarks):
 *  - block read and write throughput over full-speed HID and high-speed bulk, as a fraction of
 *    the link's limit (the CMSIS-DAP payload a USB frame can carry — 60 bytes of read data in a
 *    64-byte HID report — or the SWD wire at 10 MHz, whichever binds; goal: 90%), and of the
 *    raw limit that counts every USB byte as payload;
 *  - CMSIS-DAP packets per 32-bit read-modify-write;
 *  - single steps per second;
 * and wall-clock throughput through the in-process chain (goal: 10 MB/s). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dap/dap.h"
#include "link/cmsis_dap_link.h"
#include "sim_swd_phy.h"
#include "sim_target.h"
#include "sim_usb_probe.h"
#include "cortexm/cortexm.h"

#define SWD_HZ 10000000u
#define BYTES (64u * 1024u)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static sim_target t;
static sim_usb_probe usb;
static cmsis_dap_link link;
static adiv5_dp dp;
static uint8_t buffer[BYTES];

/* SWD limit for word blocks: 46 cycles a word, plus a TAR write and the posted-read RDBUFF
 * per 1 KiB block (two more transfers per 256 words). */
static double swd_limit(void)
{
    return 4.0 * SWD_HZ / 46.0 * 256.0 / 258.0;
}

static void run(sim_usb_kind kind)
{
    const char *name = kind == SIM_USB_FULL_SPEED_HID ? "full-speed HID" : "high-speed bulk";
    sim_target_init(&t, "stm32f407");
    sim_dp_set_swd_hz(&t, SWD_HZ);
    sim_usb_probe_init(&usb, &t, kind);
    cmsis_dap_link_init(&link, &usb.transport);
    dp = (adiv5_dp){0};
    if (adiv5_connect(&dp, &link.link, false) != 0) {
        fprintf(stderr, "connect failed\n");
        return;
    }
    double usb_frame = usb.frame_ps / 1e12;
    double usb_read_limit = (usb.packet_bytes == 64 ? 60.0 : usb.packets_per_frame * 512.0 - 4) / usb_frame;
    double usb_write_limit = (usb.packet_bytes == 64 ? 59.0 : usb.packets_per_frame * 512.0 - 5) / usb_frame;
    for (int write = 0; write < 2; write++) {
        uint64_t t0 = usb.host_ps;
        uint32_t p0 = link.packets;
        int s = write ? adiv5_mem_write(&dp, 0, 0x20000000, buffer, BYTES) : adiv5_mem_read(&dp, 0, 0x20000000, buffer, BYTES);
        double seconds = (usb.host_ps - t0) / 1e12;
        double rate = BYTES / seconds;
        double usb_limit = write ? usb_write_limit : usb_read_limit;
        double limit = usb_limit < swd_limit() ? usb_limit : swd_limit();
        /* the raw limit counts every USB byte as payload: 64 bytes per frame, or 13 × 512 */
        double raw = (double)usb.packet_bytes * usb.packets_per_frame / usb_frame;
        double raw_limit = raw < swd_limit() ? raw : swd_limit();
        printf("{\"bench\":\"block %s, virtual probe over %s (SWD 10 MHz)\",\"KB_per_s\":%.1f,"
               "\"limit_KB_per_s\":%.1f,\"bound_by\":\"%s\",\"fraction\":%.3f,\"fraction_of_raw_link\":%.3f,"
               "\"packets_per_KiB\":%.2f,\"goal\":\">= 0.90\",\"met\":%s%s}\n",
               write ? "writes" : "reads", name, rate / 1e3, limit / 1e3, usb_limit < swd_limit() ? "USB" : "SWD",
               rate / limit, rate / raw_limit, (link.packets - p0) / (BYTES / 1024.0),
               rate / limit >= 0.9 ? "true" : "false", s ? ",\"error\":true" : "");
    }
    /* a 32-bit read-modify-write */
    uint32_t p0 = link.packets;
    uint8_t w[4];
    adiv5_mem_read(&dp, 0, 0x20000100, w, 4);
    w[0] ^= 1;
    adiv5_mem_write(&dp, 0, 0x20000100, w, 4);
    printf("{\"bench\":\"packets per 32-bit read-modify-write over %s\",\"packets\":%u}\n", name, link.packets - p0);
    /* single steps */
    cortexm core = {0};
    cortexm_attach(&core, &dp, 0);
    cortexm_halt(&core);
    uint64_t t0 = usb.host_ps;
    const unsigned steps = 200;
    for (unsigned i = 0; i < steps; i++) cortexm_step(&core, true);
    double per_step = (usb.host_ps - t0) / 1e12 / steps;
    printf("{\"bench\":\"single steps per second over %s (virtual time)\",\"steps_per_s\":%.0f}\n", name, 1.0 / per_step);
    sim_target_free(&t);
}

static void wall_in_process(void)
{
    static dap_engine engine;
    static swd_phy phy;
    static const dap_strings strings = {.product = "bench CMSIS-DAP"};
    sim_target_init(&t, "stm32f407");
    sim_swd_phy_init(&phy, &t);
    dap_init(&engine, &phy, &strings, 1024, 8);
    dap_transport transport = {.ctx = &engine, .exchange = dap_exchange};
    cmsis_dap_link_init(&link, &transport);
    dp = (adiv5_dp){0};
    adiv5_connect(&dp, &link.link, false);
    double start = now_s();
    unsigned total = 0;
    while (now_s() - start < 1.0) {
        adiv5_mem_read(&dp, 0, 0x20000000, buffer, BYTES);
        total += BYTES;
    }
    double rate = total / (now_s() - start) / 1e6;
    printf("{\"bench\":\"wall-clock reads through the in-process chain (link, engine, simulated wire)\","
           "\"MB_per_s\":%.1f,\"goal\":\">= 10 MB/s\",\"met\":%s}\n", rate, rate >= 10 ? "true" : "false");
    sim_target_free(&t);
}

int main(void)
{
    run(SIM_USB_FULL_SPEED_HID);
    run(SIM_USB_HIGH_SPEED_BULK);
    wall_in_process();
    return 0;
}
