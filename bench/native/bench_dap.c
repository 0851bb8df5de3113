/* The CMSIS-DAP engine over the simulated SWD wire (bit level): DAP_TransferBlock reads and
 * writes of 32-bit words into SRAM, 1024-byte packets, 512 bytes per block so that no block
 * crosses a 1 KiB TAR boundary.
 *  - wall-clock throughput (goal: 5 MB/s, so the engine is never the bottleneck),
 *  - throughput in virtual time at 10 MHz SWD against the wire's limit (goal: 95%). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dap/dap.h"
#include "sim_swd_phy.h"
#include "sim_target.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static sim_target t;
static swd_phy phy;
static dap_engine e;

static void packet(const uint8_t *req, size_t len)
{
    if (dap_process(&e, req, len) != 1) fprintf(stderr, "unexpected response count\n");
}

#define PACKET(...)                              \
    do {                                         \
        const uint8_t p_[] = {__VA_ARGS__};      \
        packet(p_, sizeof p_);                   \
    } while (0)

#define WORDS 128u

int main(void)
{
    static const dap_strings strings = {.product = "bench CMSIS-DAP"};
    sim_target_init(&t, "stm32f407");
    sim_swd_phy_init(&phy, &t);
    dap_init(&e, &phy, &strings, 1024, 8);
    PACKET(0x02, 0x01);
    PACKET(0x11, 0x80, 0x96, 0x98, 0x00); /* 10 MHz */
    PACKET(0x12, 56, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    PACKET(0x12, 16, 0x9E, 0xE7);
    PACKET(0x12, 64, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
    PACKET(0x05, 0, 1, 0x02);
    PACKET(0x05, 0, 2, 0x00, 0x1E, 0, 0, 0, 0x04, 0, 0, 0, 0x50);
    PACKET(0x09, 100, 0);
    PACKET(0x05, 0, 1, 0x01, 0x12, 0, 0, 0x23); /* CSW: 32-bit, increment */

    /* One packet per block: DAP_ExecuteCommands { Transfer: TAR; TransferBlock: 128 words }. */
    static uint8_t write_req[2 + 8 + 5 + 4 * WORDS], read_req[2 + 8 + 5];
    const unsigned total_bytes = 64u * 1024 * 1024;
    for (int pass = 0; pass < 2; pass++) {
        bool read = pass == 1;
        uint8_t *req = read ? read_req : write_req;
        size_t len = read ? sizeof read_req : sizeof write_req;
        req[0] = 0x7F, req[1] = 2;
        req[2] = 0x05, req[3] = 0, req[4] = 1, req[5] = 0x05; /* AP write TAR */
        req[10] = 0x06, req[11] = 0, req[12] = WORDS, req[13] = 0, req[14] = read ? 0x0F : 0x0D;
        uint64_t ps0 = t.now_ps;
        double start = now_s();
        unsigned done = 0;
        for (uint32_t offset = 0; done < total_bytes; done += 4 * WORDS, offset = (offset + 4 * WORDS) % 0x10000) {
            sim_put_le(req + 6, 4, 0x20000000u + offset);
            packet(req, len);
        }
        double wall = now_s() - start;
        double virtual_s = (t.now_ps - ps0) / 1e12;
        double limit = 4.0 / 46 * 10e6; /* bytes per second: 32 data bits per 46-cycle transfer */
        double fraction = total_bytes / virtual_s / limit;
        printf("{\"bench\":\"DAP_TransferBlock %s through the engine, simulated wire\",\"wall_MB_per_s\":%.1f,"
               "\"goal\":\">= 5 MB/s\",\"met\":%s}\n", read ? "reads" : "writes", total_bytes / wall / 1e6,
               total_bytes / wall / 1e6 >= 5 ? "true" : "false");
        printf("{\"bench\":\"DAP_TransferBlock %s, virtual time at 10 MHz SWD\",\"KB_per_s\":%.1f,"
               "\"fraction_of_wire_limit\":%.3f,\"goal\":\">= 0.95\",\"met\":%s}\n", read ? "reads" : "writes",
               total_bytes / virtual_s / 1e3, fraction, fraction >= 0.95 ? "true" : "false");
    }
    size_t n;
    const uint8_t *r = dap_response(&e, 0, &n);
    if (r[0] != 0x7F || r[2 + 3 + 3] != 1) fprintf(stderr, "the last block failed\n");
    sim_target_free(&t);
    return 0;
}
