// fuzz-sources: @core @sim
// fuzz-flags: -DSWJ_PINS_MAX_WAIT_US=2000u
/* libFuzzer target for the CMSIS-DAP engine (native/core/dap/dap.c), as the probe firmware runs
 * it on packets from whatever host is plugged in, over the simulated STM32 target at the SWD
 * wire (native/sim, through sim_swd_phy) with the simulator's fault injection chosen by the
 * input.
 *
 * Input layout: one configuration byte, then records.
 *   cfg bits 0-1  packet size: 64, 512, 1024, 64
 *       bit 2     connect first (line reset, JTAG-to-SWD, DPIDR, power-up, as OpenOCD does), so
 *                 that transfers reach the DP and the MEM-AP; else start with a target that has
 *                 seen nothing
 *       bit 3     the target: STM32F103 (0) or STM32H750 (1); both have 128 KiB of flash, which
 *                 keeps setting up a fresh target per run cheap
 *   records, until the input ends (at most MAX_PACKETS packets):
 *     0xC0-0xFF   fault injection: kind = bits 0-1 (WAIT, FAULT, NO_ACK, CLEAR), deferred by
 *                 bits 2-5 transfers; the next byte is the count
 *     0xBE n      the transport sets the engine's abort flag (a DAP_TransferAbort out of band)
 *                 once n more bits have been clocked (0: not at all)
 *     0xBD lo hi  a packet of lo | hi << 8 bytes (cut to the packet size), the bytes follow
 *     0x00-0xBC   a packet of that many bytes, the bytes follow (the last one may come short)
 * Captured host traffic converts to this layout one packet per record (scripts/fuzz.mjs).
 *
 * Checked after every packet:
 *   - dap_process returns at most DAP_RESPONSE_SLOTS responses; each is 1 to packet-size bytes
 *     long and starts with the command byte it answers, 0x7E for a queued batch, or 0xFF;
 *   - a packet answered by the single byte 0xFF (malformed, unknown, too long, queue full)
 *     changed nothing: no call reached the SWD phy (the engine's only way to the target), the
 *     target's DP, AP, core and virtual time hash as before, and the engine's configuration
 *     (SWD settings, retries, match mask, clock, connection) is as before;
 *   - a DAP_Transfer answer holds 4 bytes per read among the transfers it counts as done (one
 *     fewer when it failed while collecting a posted AP read, as in ARM's reference firmware),
 *     and a DAP_TransferBlock answer 4 per word read.
 * Every run is bounded: DAP_SWJ_Pins waits at most 2 ms here (3 s in the firmware); after a budget of clocked bits the phy answers as a target that went
 * away (all ones: no ACK), and after a budget of waiting, delays no longer advance the target. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dap/dap.h"
#include "sim_swd_phy.h"
#include "sim_target.h"

#define MAX_PACKETS 64u
#define BIT_BUDGET 400000u      /* clocked bits per run before the target "goes away" */
#define DELAY_BUDGET_US 20000u  /* virtual microseconds of waiting per run */

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_dap: property violated: %s\n", what);
    abort();
}

#define CHECK(cond)               \
    do {                          \
        if (!(cond)) fail(#cond); \
    } while (0)

/* ---- the phy between the engine and the simulated wire: counts and bounds ---- */

typedef struct counting_phy {
    swd_phy inner;       /* the simulator's */
    dap_engine *engine;
    uint64_t calls;      /* every call, of any kind */
    uint64_t bits;
    uint64_t delayed_us;
    uint64_t abort_at;   /* set engine->abort once `bits` reaches this (0: never) */
} counting_phy;

static void tick(counting_phy *c, unsigned bits)
{
    c->calls++;
    c->bits += bits;
    if (c->abort_at && c->bits >= c->abort_at) {
        c->engine->abort = true;
        c->abort_at = 0;
    }
}

static void cp_write(void *ctx, uint32_t bits, unsigned count)
{
    counting_phy *c = ctx;
    CHECK(count >= 1 && count <= 32);
    tick(c, count);
    if (c->bits <= BIT_BUDGET) c->inner.write_bits(c->inner.ctx, bits, count);
}

static uint32_t cp_read(void *ctx, unsigned count)
{
    counting_phy *c = ctx;
    CHECK(count >= 1 && count <= 32);
    tick(c, count);
    if (c->bits > BIT_BUDGET) return count == 32 ? 0xFFFFFFFFu : (1u << count) - 1u;
    return c->inner.read_bits(c->inner.ctx, count);
}

static uint32_t cp_clock(void *ctx, uint32_t hz)
{
    counting_phy *c = ctx;
    tick(c, 0);
    return c->inner.set_clock(c->inner.ctx, hz);
}

static uint8_t cp_pins(void *ctx, uint8_t value, uint8_t select)
{
    counting_phy *c = ctx;
    tick(c, 0);
    return c->inner.pins(c->inner.ctx, value, select);
}

static void cp_delay(void *ctx, uint32_t us)
{
    counting_phy *c = ctx;
    tick(c, 0);
    if (c->delayed_us >= DELAY_BUDGET_US) return;
    c->delayed_us += us;
    c->inner.delay_us(c->inner.ctx, us);
}

/* ---- state snapshots ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

/* What a command could change on the target without touching memory: the DP (wire state,
 * registers, APs, injected faults), the core's registers, the reset pin and virtual time.
 * (Memory is reached only through the DP, so a run that made no phy call left it alone; the
 * call count is checked separately.) */
static uint64_t target_hash(const sim_target *t)
{
    uint64_t h = 0xCBF29CE484222325ull;
    h = fnv(h, &t->dp, sizeof t->dp);
    h = fnv(h, &t->cpu, sizeof t->cpu);
    h = fnv(h, &t->now_ps, sizeof t->now_ps);
    h = fnv(h, &t->nrst_low, sizeof t->nrst_low);
    h = fnv(h, &t->dbgmcu_cr, sizeof t->dbgmcu_cr);
    return h;
}

typedef struct engine_config {
    swd_config swd;
    uint16_t wait_retry, match_retry, packet_size;
    uint32_t match_mask, clock_hz;
    bool connected;
} engine_config;

static engine_config config_of(const dap_engine *e)
{
    engine_config c;
    memset(&c, 0, sizeof c); /* padding too: the snapshots are compared with memcmp */
    c.swd = e->swd;
    c.wait_retry = e->wait_retry;
    c.match_retry = e->match_retry;
    c.packet_size = e->packet_size;
    c.match_mask = e->match_mask;
    c.clock_hz = e->clock_hz;
    c.connected = e->connected;
    return c;
}

/* ---- response checks ---- */

/* The reads a DAP_Transfer request's first `done` transfers make (each gives 4 bytes). */
static size_t transfer_reads(const uint8_t *req, size_t len, unsigned done)
{
    size_t at = 3, reads = 0;
    for (unsigned i = 0; i < done && at < len; i++) {
        uint8_t rq = req[at++];
        bool read = rq & 0x02u;
        if (!read || (rq & 0x10u)) at += 4;
        else reads++;
    }
    return reads;
}

static void check_response(const dap_engine *e, const uint8_t *req, size_t req_len, const uint8_t *r, size_t n,
                           bool queued)
{
    CHECK(n >= 1);
    CHECK(n <= e->packet_size);
    if (r[0] == 0xFF) return;
    if (queued) { /* its request was an earlier packet, a DAP_QueueCommands */
        CHECK(r[0] == 0x7E);
        return;
    }
    CHECK(req_len >= 1 && r[0] == req[0]);
    if (req[0] == 0x05) { /* DAP_Transfer: count, response, then the words read */
        CHECK(n >= 3);
        CHECK(r[1] <= req[2]);
        size_t reads = transfer_reads(req, req_len, r[1]);
        /* The transfer that failed (ACK not OK) is not counted, nor one that mismatched. When the
         * RDBUFF read that collects a posted AP read fails, that read is counted but has no data. */
        if (r[2] == 0x01)
            CHECK(n == 3 + 4 * reads);
        else
            CHECK(n == 3 + 4 * reads || (reads > 0 && n == 3 + 4 * (reads - 1)));
    } else if (req[0] == 0x06) { /* DAP_TransferBlock: count (2), response, then words read */
        CHECK(n >= 4);
        unsigned done = (unsigned)r[1] | (unsigned)r[2] << 8;
        CHECK(done <= ((unsigned)req[2] | (unsigned)req[3] << 8));
        CHECK(n == ((req[4] & 0x02u) ? 4 + 4u * done : 4));
    }
}

/* ---- the run ---- */

static const dap_strings strings = {.vendor = "bmp-gdbserver", .product = "bmp-gdbserver CMSIS-DAP",
                                    .serial = "FUZZ0001", .protocol = "2.1.0", .firmware = "0.1.0"};

static void packet(dap_engine *e, const uint8_t *p, size_t n)
{
    unsigned ready = dap_process(e, p, n);
    CHECK(ready <= DAP_RESPONSE_SLOTS);
}

#define SEND(...)                                  \
    do {                                           \
        const uint8_t packet_[] = {__VA_ARGS__};   \
        packet(e, packet_, sizeof packet_);        \
    } while (0)

/* Line reset, JTAG-to-SWD, line reset, idle; DPIDR; clear errors, power up (as OpenOCD). */
static void connect(dap_engine *e)
{
    SEND(0x02, 0x00);
    SEND(0x12, 51, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    SEND(0x12, 16, 0x9E, 0xE7);
    SEND(0x12, 51, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    SEND(0x12, 8, 0x00);
    SEND(0x05, 0, 1, 0x02);
    SEND(0x05, 0, 2, 0x00, 0x1E, 0, 0, 0, 0x04, 0, 0, 0, 0x50);
    SEND(0x09, 10, 0);
}

/* A fresh target per run, without allocating one: each profile's target is set up once, and
 * every run starts from a copy of that state (the struct and its memories). */
static sim_target *fresh_target(unsigned which)
{
    static const char *const names[2] = {"stm32f103", "stm32h750"};
    static sim_target live[2], pristine[2];
    static uint8_t *saved[2][SIM_PROFILE_MAX_MEMORIES], *saved_flash[2], *saved_programmed[2];
    size_t programmed_size = 0;
    static bool ready[2];
    sim_target *t = &live[which];
    if (!ready[which]) {
        if (sim_target_init(t, names[which]) != SIM_OK) fail("sim_target_init");
        pristine[which] = *t;
        for (unsigned i = 0; i < t->profile->memory_count; i++) {
            saved[which][i] = malloc(t->profile->memories[i].size);
            if (!saved[which][i]) fail("malloc");
            memcpy(saved[which][i], t->memories[i], t->profile->memories[i].size);
        }
        programmed_size = t->profile->flash_size / 32 / 8 + 1;
        saved_flash[which] = malloc(t->profile->flash_size);
        saved_programmed[which] = malloc(programmed_size);
        if (!saved_flash[which] || !saved_programmed[which]) fail("malloc");
        memcpy(saved_flash[which], t->flash.mem, t->profile->flash_size);
        memcpy(saved_programmed[which], t->flash.programmed, programmed_size);
        ready[which] = true;
        return t;
    }
    *t = pristine[which];
    programmed_size = t->profile->flash_size / 32 / 8 + 1; /* as sim_flash.c allocates it */
    memcpy(t->flash.mem, saved_flash[which], t->profile->flash_size);
    memcpy(t->flash.programmed, saved_programmed[which], programmed_size);
    for (unsigned i = 0; i < t->profile->memory_count; i++)
        memcpy(t->memories[i], saved[which][i], t->profile->memories[i].size);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const uint16_t sizes[4] = {64, 512, 1024, 64};
    uint8_t cfg = data[0];
    size_t at = 1;

    static swd_phy sim_phy, phy;
    static counting_phy cp;
    static dap_engine e;
    sim_target *tp = fresh_target((cfg & 8) ? 1 : 0);
#define t (*tp)
    sim_swd_phy_init(&sim_phy, &t);
    memset(&cp, 0, sizeof cp);
    cp.inner = sim_phy;
    cp.engine = &e;
    phy = (swd_phy){.ctx = &cp, .write_bits = cp_write, .read_bits = cp_read, .set_clock = cp_clock,
                    .pins = cp_pins, .delay_us = cp_delay};
    dap_init(&e, &phy, &strings, sizes[cfg & 3], 4);
    if (cfg & 4) connect(&e);

    unsigned packets = 0;
    while (at < size && packets < MAX_PACKETS) {
        uint8_t tag = data[at++];
        if (tag >= 0xC0) {
            uint8_t count = at < size ? data[at++] : 1;
            static const sim_fault_kind kinds[4] = {SIM_FAULT_WAIT, SIM_FAULT_FAULT, SIM_FAULT_NO_ACK,
                                                    SIM_FAULT_CLEAR};
            sim_fault_kind kind = kinds[tag & 3];
            /* NO_ACK with count 0 means "until cleared": allowed, the budget bounds the run. */
            sim_fault_inject(&t, kind, count);
            sim_fault_defer(&t, (tag >> 2) & 0xFu);
            continue;
        }
        if (tag == 0xBE) {
            uint8_t n = at < size ? data[at++] : 0;
            cp.abort_at = n ? cp.bits + n : 0;
            continue;
        }
        size_t len = tag;
        if (tag == 0xBD) {
            len = 0;
            if (at < size) len = data[at++];
            if (at < size) len |= (size_t)data[at++] << 8;
        }
        if (len > size - at) len = size - at;
        if (len > e.packet_size) len = e.packet_size;
        const uint8_t *req = data + at;
        at += len;
        packets++;

        uint64_t before = target_hash(&t), calls = cp.calls;
        engine_config config = config_of(&e);
        unsigned queued_before = e.queued;
        unsigned ready = dap_process(&e, req, len);
        CHECK(ready <= DAP_RESPONSE_SLOTS);
        if (ready == 0) {
            /* Queued (or an in-band abort): nothing to send yet. */
            CHECK(e.queued <= DAP_MAX_QUEUED);
            continue;
        }
        CHECK(ready == queued_before + 1);
        for (unsigned i = 0; i < ready; i++) {
            size_t n = 0;
            const uint8_t *r = dap_response(&e, i, &n);
            check_response(&e, req, len, r, n, i + 1 < ready);
        }
        size_t n = 0;
        const uint8_t *last = dap_response(&e, ready - 1, &n);
        if (n == 1 && last[0] == 0xFF) {
            CHECK(cp.calls == calls);
            CHECK(target_hash(&t) == before);
            engine_config now = config_of(&e);
            CHECK(memcmp(&now, &config, sizeof now) == 0);
        }
    }
    return 0;
#undef t
}
