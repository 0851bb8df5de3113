// fuzz-sources: @core
/* libFuzzer target for the GDB server core (native/core/gdb/gdb_server.c with its monitor,
 * semihosting and flash modules), driven over a probe_session whose dp_link is a fake: a small
 * model of an SWD-attached Cortex-M written here.
 *
 * Input layout: four configuration bytes, then the byte stream as it would come from GDB.
 *   cfg[0] bit 0    attach before the session (probe_scan, probe_attach(0)); else start unattached
 *          bits 1-2 injected link error: none, FAULT, NO_RESPONSE, WAIT (only once the session runs)
 *          bits 3-5 injection rate: one transaction in 2^(k+1) fails
 *          bit 6    unmapped addresses FAULT (else they read as zero and ignore writes)
 *          bit 7    leave the stream as it is (else every packet's checksum is made right first:
 *                   random bytes almost never carry a good checksum)
 *   cfg[1] bits 0-2 what ends a run of the core: halt request, BKPT, DWT match, vector catch,
 *                   lockup, nothing (runs until halted), each in turn, BKPT
 *          bits 3-6 DHCSR reads the core runs for before that happens
 *          bit 7    flash takes bus writes (bits go from 1 to 0 only, as NOR flash programs); else
 *                   it ignores them
 *   cfg[2] bits 0-2 CPUID: M4, M0, M0+, M3, M7, M33, an unknown core, M4
 *          bit 3    MVFR0 reports an FPU
 *          bits 4-5 DBGMCU IDCODE: STM32F4, STM32F1, STM32H7, unknown
 *          bit 6    FPB revision 2 (else 1)
 *          bit 7    two MEM-APs (two targets) instead of one
 *   cfg[3] bits 0-1 how the stream is cut: a packet at a time with up to 48 polls after each (as
 *                   GDB waits for replies); random chunks with up to 4, 48 or 1 poll after each
 *          bit 2    give the server an image buffer (as the Node addon does): `load` collects
 *                   and programs at vFlashDone
 *          all      seed for the chunk sizes and the injected errors
 * The stream goes to gdb_server_input in chunks, with gdb_server_poll calls between them (while
 * the target runs); at the end the server is polled a while and disconnected.
 *
 * Checked:
 *   - everything the server outputs is either a single '+' or '-' (never in no-ack mode) or one
 *     complete `$payload#cs` frame: lowercase checksum digits that match, no unescaped '$', '#'
 *     or '*' inside, escapes only for the four characters that need them, and an unescaped
 *     payload no longer than the packet buffer;
 *   - the link is used as dp_link.h says: A[3:2] addresses only, MEM-AP transfers of a byte,
 *     half-word or word, aligned to their size, and no auto-incremented block crossing a 1 KiB
 *     TAR boundary (adiv5.h promises that split);
 *   - after gdb_server_disconnect nothing is attached.
 * Every run is bounded: the fake link answers NO_RESPONSE once a run has used up its budget of
 * link transactions, as a target that went away would. Any violated property calls abort(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "gdb/gdb_server.h"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_gdb_server: property violated: %s\n", what);
    abort();
}

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) fail(#cond);    \
    } while (0)

/* ---- the embedding ---- */

static gdb_server server; /* about 80 KB: not on the stack */

/* A parked monitor command of the embedding's: it names the command in full; answer it (its
 * text echoed, success or failure), or now and then answer a request that is no longer parked,
 * which the server must drop. */
static void answer_monitor(uint32_t *rng)
{
    uint32_t seq = 0;
    const char *request = gdb_server_monitor_request(&server, &seq);
    if (!request) return;
    CHECK(strncmp(request, "python", 6) == 0 && (request[6] == 0 || request[6] == ' ' || request[6] == '\t'));
    *rng ^= *rng << 13, *rng ^= *rng >> 17, *rng ^= *rng << 5;
    if ((*rng & 7u) == 0) {
        gdb_server_monitor_reply(&server, seq - 1, "stale\n", 6, true);
        CHECK(gdb_server_monitor_request(&server, 0) == request);
    }
    gdb_server_monitor_reply(&server, seq, request, strlen(request), (*rng & 8u) != 0);
    CHECK(gdb_server_monitor_request(&server, 0) == 0);
}

/* ---- the fake target ---- */

#define RAM_BASE 0x20000000u
#define FLASH_BASE 0x08000000u
#define MEM_SIZE 0x10000u
#define PPB_BASE 0xE0000000u
#define PPB_SIZE 0x10000u           /* DWT, FPB and the SCS live in the first 64 KiB */
#define SYSTEM_BASE 0xE0000000u     /* the rest of the system region reads as zero */

#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define DFSR 0xE000ED30u
#define AIRCR 0xE000ED0Cu
#define CPUID 0xE000ED00u
#define MVFR0 0xE000EF40u
#define FP_CTRL 0xE0002000u
#define DWT_CTRL 0xE0001000u
#define DWT_FUNCTION0 0xE0001028u   /* + 16 n */
#define DBGMCU_IDCODE 0xE0042000u
#define DBGMCU_IDCODE_H7 0x5C001000u
#define FLASH_SIZE_F1 0x1FFFF7E0u   /* 16 bits, KiB */
#define FLASH_SIZE_F4 0x1FFF7A20u   /* the word holding 0x1FFF7A22 */
#define FLASH_SIZE_H7 0x1FF1E880u

#define C_DEBUGEN 0x1u
#define C_HALT 0x2u
#define C_STEP 0x4u
#define S_REGRDY (1u << 16)
#define S_HALT (1u << 17)
#define S_LOCKUP (1u << 19)
#define S_RESET_ST (1u << 25)

#define DPIDR_VALUE 0x2BA01477u
#define MEM_AP_IDR 0x24770011u
#define CTRL_REQ_MASK 0x50000000u   /* CDBGPWRUPREQ, CSYSPWRUPREQ */
#define STICKYERR (1u << 5)

#define TRANSACTION_BUDGET 300000u

enum { RUN_REQUEST, RUN_BKPT, RUN_DWT, RUN_VCATCH, RUN_LOCKUP, RUN_FOREVER, RUN_CYCLE, RUN_BKPT2 };

typedef struct fake_ap {
    uint32_t csw, tar;
} fake_ap;

typedef struct fake_target {
    dp_link link;
    /* configuration of this run */
    bool inject_on;
    bmp_status inject_kind;
    uint32_t inject_mask;
    bool unmapped_faults;
    bool flash_programmable;
    unsigned run_mode, run_budget;
    uint32_t cpuid, mvfr0, fp_ctrl, idcode, idcode_h7;
    uint16_t flash_kib;
    uint32_t flash_size_address;
    unsigned ap_count;
    uint32_t rng;
    /* link state */
    bmp_status pending;  /* first error since the last flush: the rest of the queue is dropped */
    uint32_t transactions;
    uint32_t ctrl_stat, select, rdbuff;
    bool sticky;
    fake_ap aps[2];
    /* core state */
    bool halted, lockup, reset_st, debug_off;
    unsigned budget, halts;
    uint32_t dhcsr_ctrl, dfsr, dcrdr, fp_enable;
    uint32_t regs[128];
    uint8_t ram[MEM_SIZE], flash[MEM_SIZE];
    uint32_t ppb[PPB_SIZE / 4];
} fake_target;

static fake_target T;

static uint32_t next_random(uint32_t *state)
{
    /* xorshift32; the state is never zero */
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* The core stops running, for the configured reason. */
static void halt_event(void)
{
    unsigned mode = T.run_mode == RUN_CYCLE ? T.halts % 5 : T.run_mode;
    T.halts++;
    switch (mode) {
    case RUN_REQUEST: T.dfsr |= 0x1; break;
    case RUN_DWT:
        T.dfsr |= 0x4;
        for (unsigned i = 0; i < 4; i++) {
            uint32_t *function = &T.ppb[(DWT_FUNCTION0 + 16 * i - PPB_BASE) / 4];
            if (*function & 0xF) {
                *function |= 1u << 24; /* MATCHED */
                break;
            }
        }
        break;
    case RUN_VCATCH: T.dfsr |= 0x8; break;
    case RUN_LOCKUP: T.lockup = true; return; /* not halted */
    default: T.dfsr |= 0x2; break;            /* BKPT */
    }
    T.halted = true;
}

/* A system reset (AIRCR.SYSRESETREQ or nRST). The debug registers survive it. */
static void core_reset(void)
{
    T.reset_st = true;
    T.lockup = false;
    T.regs[13] = get_le32(T.flash);
    T.regs[15] = get_le32(T.flash + 4) & ~1u;
    T.regs[16] = 1u << 24; /* xPSR.T */
    if (T.ppb[(DEMCR - PPB_BASE) / 4] & 1u) { /* VC_CORERESET */
        T.halted = true;
        T.dfsr |= 0x8;
    } else {
        T.halted = false;
        T.budget = T.run_budget;
    }
}

static uint32_t dhcsr_read(void)
{
    if (!T.halted && !T.lockup && !T.debug_off && T.run_mode != RUN_FOREVER) {
        if (T.budget == 0) halt_event();
        else T.budget--;
    }
    uint32_t v = T.dhcsr_ctrl | S_REGRDY;
    if (T.halted) v |= S_HALT;
    if (T.lockup) v |= S_LOCKUP;
    if (T.reset_st) v |= S_RESET_ST;
    T.reset_st = false; /* sticky, cleared by the read */
    return v;
}

static void dhcsr_write(uint32_t v)
{
    if ((v >> 16) != 0xA05Fu) return; /* DBGKEY missing: ignored */
    T.dhcsr_ctrl = v & 0x2Fu;
    if (!(v & C_DEBUGEN)) { /* debug off: the core runs on its own */
        T.debug_off = true;
        T.halted = false;
        return;
    }
    if (T.debug_off && !T.halted) T.budget = T.run_budget; /* debug just turned on */
    T.debug_off = false;
    if (v & C_HALT) {
        if (!T.halted) T.dfsr |= 0x1;
        T.halted = true;
        T.lockup = false;
        return;
    }
    if (!T.halted) return;
    if (v & C_STEP) { /* one instruction, at once */
        T.regs[15] += 2;
        T.dfsr |= 0x1;
        return;
    }
    T.halted = false;
    T.budget = T.run_budget;
}

/* Memory and memory-mapped registers, one aligned word at a time. `mask` says which byte lanes
 * a write touches. */
static bmp_status bus_read(uint32_t addr, uint32_t *value)
{
    *value = 0;
    if (addr >= RAM_BASE && addr - RAM_BASE < MEM_SIZE) {
        *value = get_le32(T.ram + (addr - RAM_BASE));
    } else if (addr >= FLASH_BASE && addr - FLASH_BASE < MEM_SIZE) {
        *value = get_le32(T.flash + (addr - FLASH_BASE));
    } else if (addr < MEM_SIZE) { /* the boot alias of flash */
        *value = get_le32(T.flash + addr);
    } else if (addr >= PPB_BASE && addr - PPB_BASE < PPB_SIZE) {
        switch (addr) {
        case DHCSR: *value = dhcsr_read(); break;
        case DCRSR: *value = 0; break;
        case DCRDR: *value = T.dcrdr; break;
        case DFSR: *value = T.dfsr; break;
        case CPUID: *value = T.cpuid; break;
        case MVFR0: *value = T.mvfr0; break;
        case AIRCR: *value = 0xFA050000u; break;
        case FP_CTRL: *value = T.fp_ctrl | T.fp_enable; break;
        case DWT_CTRL: *value = 4u << 28; break; /* four comparators */
        default: {
            uint32_t *word = &T.ppb[(addr - PPB_BASE) / 4];
            *value = *word;
            for (unsigned i = 0; i < 4; i++)
                if (addr == DWT_FUNCTION0 + 16 * i) *word &= ~(1u << 24); /* MATCHED clears on read */
            break;
        }
        }
    } else if (addr == DBGMCU_IDCODE) {
        *value = T.idcode;
    } else if (addr >= SYSTEM_BASE) {
        *value = 0;
    } else if (addr == DBGMCU_IDCODE_H7 && T.idcode_h7) {
        *value = T.idcode_h7;
    } else if (T.flash_size_address && addr == (T.flash_size_address & ~3u)) {
        *value = (uint32_t)T.flash_kib << (8 * (T.flash_size_address & 3));
    } else if (T.unmapped_faults) {
        return BMP_ERR_FAULT;
    }
    return BMP_OK;
}

static bmp_status bus_write(uint32_t addr, uint32_t value, uint32_t mask)
{
    if (addr >= RAM_BASE && addr - RAM_BASE < MEM_SIZE) {
        uint8_t *p = T.ram + (addr - RAM_BASE);
        put_le32(p, (get_le32(p) & ~mask) | (value & mask));
    } else if ((addr >= FLASH_BASE && addr - FLASH_BASE < MEM_SIZE) || addr < MEM_SIZE) {
        /* flash: writes over the bus are ignored, or program bits from 1 to 0 like NOR flash */
        if (T.flash_programmable) {
            uint8_t *p = T.flash + (addr >= FLASH_BASE ? addr - FLASH_BASE : addr);
            put_le32(p, get_le32(p) & (value | ~mask));
        }
    } else if (addr >= PPB_BASE && addr - PPB_BASE < PPB_SIZE) {
        uint32_t v = value & mask;
        switch (addr) {
        case DHCSR: dhcsr_write(v); break;
        case DCRSR: {
            unsigned regsel = v & 0x7Fu;
            if (v & (1u << 16)) T.regs[regsel] = T.dcrdr;
            else T.dcrdr = T.regs[regsel];
            break;
        }
        case DCRDR: T.dcrdr = (T.dcrdr & ~mask) | v; break;
        case DFSR: T.dfsr &= ~v; break; /* write one to clear */
        case AIRCR:
            if ((v >> 16) == 0x05FAu && (v & 0x4u)) core_reset();
            break;
        case FP_CTRL:
            if (v & 0x2u) T.fp_enable = v & 0x1u; /* KEY */
            break;
        case CPUID: case MVFR0: case DWT_CTRL: break; /* read only */
        default: {
            uint32_t *word = &T.ppb[(addr - PPB_BASE) / 4];
            *word = (*word & ~mask) | v;
            break;
        }
        }
    } else if (addr >= SYSTEM_BASE) {
        /* ignored */
    } else if (T.unmapped_faults) {
        return BMP_ERR_FAULT;
    }
    return BMP_OK;
}

/* A DRW (or banked data) transfer of the size CSW says, at `addr`. */
static bmp_status mem_access(fake_ap *ap, uint32_t addr, bool write, uint32_t *value)
{
    unsigned size = ap->csw & 7u;
    CHECK(size <= 2); /* byte, halfword, word: all the adiv5 layer uses */
    CHECK((addr & ((1u << size) - 1)) == 0); /* aligned to its size */
    uint32_t lane = addr & 3u & ~((1u << size) - 1);
    uint32_t mask = size == 2 ? 0xFFFFFFFFu : (size == 1 ? 0xFFFFu : 0xFFu) << (8 * lane);
    if (write) return bus_write(addr & ~3u, *value, mask);
    return bus_read(addr & ~3u, value);
}

static fake_ap *selected_ap(void)
{
    unsigned apsel = T.select >> 24;
    return apsel < T.ap_count ? &T.aps[apsel] : NULL;
}

/* Auto-increment (CSW.AddrInc single) within the 1 KiB TAR range, as the minimum hardware does. */
static void advance_tar(fake_ap *ap)
{
    if (((ap->csw >> 4) & 3u) == 0) return;
    uint32_t step = 1u << (ap->csw & 3u);
    ap->tar = (ap->tar & ~0x3FFu) | ((ap->tar + step) & 0x3FFu);
}

static bmp_status ap_access(uint8_t addr, bool write, uint32_t *value)
{
    fake_ap *ap = selected_ap();
    uint32_t reg = (T.select & 0xF0u) | addr;
    if (!ap) { /* no AP there: IDR reads as zero, the end of the list */
        if (!write) *value = 0;
        return BMP_OK;
    }
    if (T.sticky) return BMP_ERR_FAULT;
    bmp_status s = BMP_OK;
    switch (reg) {
    case 0x00:
        if (write) ap->csw = *value & 0xFF000F77u;
        else *value = ap->csw | 0x40u; /* DeviceEn */
        break;
    case 0x04:
        if (write) ap->tar = *value;
        else *value = ap->tar;
        break;
    case 0x0C:
        s = mem_access(ap, ap->tar, write, value);
        if (s == BMP_OK) advance_tar(ap);
        break;
    case 0x10: case 0x14: case 0x18: case 0x1C: /* banked data */
        s = mem_access(ap, (ap->tar & ~0xFu) | (reg & 0xCu), write, value);
        break;
    case 0xF8: if (!write) *value = 0; break;         /* BASE: no debug entry, no ROM walk */
    case 0xFC: if (!write) *value = MEM_AP_IDR; break;
    default: if (!write) *value = 0; break;
    }
    if (!write && s == BMP_OK) T.rdbuff = *value;
    return s;
}

static bmp_status dp_access(uint8_t addr, bool write, uint32_t *value)
{
    if (write) {
        switch (addr) {
        case 0x0: if (*value & 0x4u) T.sticky = false; break;  /* ABORT.STKERRCLR */
        case 0x4: T.ctrl_stat = *value & CTRL_REQ_MASK; break;
        case 0x8: T.select = *value; break;
        default: break;                                       /* TARGETSEL */
        }
        return BMP_OK;
    }
    switch (addr) {
    case 0x0: *value = DPIDR_VALUE; break;
    case 0x4: {
        uint32_t v = T.ctrl_stat;
        if (v & (1u << 28)) v |= 1u << 29; /* CDBGPWRUPACK */
        if (v & (1u << 30)) v |= 1u << 31; /* CSYSPWRUPACK */
        if (T.sticky) v |= STICKYERR;
        *value = v;
        break;
    }
    default: *value = T.rdbuff; break; /* RESEND, RDBUFF */
    }
    return BMP_OK;
}

/* Whether this transaction fails: the budget, then the configured injection. */
static bmp_status injected(uint32_t cost)
{
    if (T.transactions > TRANSACTION_BUDGET) return BMP_ERR_NO_RESPONSE;
    T.transactions += cost;
    if (!T.inject_on || T.inject_kind == BMP_OK) return BMP_OK;
    return (next_random(&T.rng) & T.inject_mask) == 0 ? T.inject_kind : BMP_OK;
}

static void record(bmp_status s)
{
    if (s == BMP_OK) return;
    if (s == BMP_ERR_FAULT) T.sticky = true;
    if (T.pending == BMP_OK) T.pending = s;
}

static bmp_status fake_connect(dp_link *link, bool dormant, uint32_t *dpidr)
{
    CHECK(link == &T.link && dpidr != NULL);
    (void)dormant; /* the fake answers either way */
    T.pending = BMP_OK;
    bmp_status s = injected(1);
    if (s != BMP_OK) return s;
    T.ctrl_stat = 0;
    T.select = 0;
    T.sticky = false;
    *dpidr = DPIDR_VALUE;
    return BMP_OK;
}

static bmp_status fake_transfer(dp_link *link, bool ap, uint8_t addr, bool write, uint32_t *value)
{
    CHECK(link == &T.link && value != NULL);
    CHECK(addr == 0x0 || addr == 0x4 || addr == 0x8 || addr == 0xC);
    if (T.pending != BMP_OK) return BMP_OK;
    bmp_status s = injected(1);
    if (s == BMP_OK) s = ap ? ap_access(addr, write, value) : dp_access(addr, write, value);
    record(s);
    return BMP_OK;
}

static bmp_status fake_read(dp_link *link, bool ap, uint8_t addr, uint32_t *value)
{
    return fake_transfer(link, ap, addr, false, value);
}

static bmp_status fake_write(dp_link *link, bool ap, uint8_t addr, uint32_t value)
{
    return fake_transfer(link, ap, addr, true, &value);
}

/* `count` DRW transfers: reads into `in`, or writes from `out`. */
static bmp_status fake_block(dp_link *link, uint32_t *in, const uint32_t *out, size_t count)
{
    CHECK(link == &T.link && (in != NULL || out != NULL));
    if (T.pending != BMP_OK) return BMP_OK;
    fake_ap *ap = selected_ap();
    CHECK(ap != NULL && (T.select & 0xF0u) == 0);
    /* adiv5.h: no auto-incremented block crosses a 1 KiB TAR boundary */
    if (((ap->csw >> 4) & 3u) != 0) CHECK((ap->tar & 0x3FFu) + (count << (ap->csw & 3u)) <= 0x400u);
    bmp_status s = injected((uint32_t)(count < 0x10000 ? count : 0x10000));
    for (size_t i = 0; i < count && s == BMP_OK; i++) {
        if (in) {
            s = ap_access(0x0C, false, &in[i]);
        } else {
            uint32_t v = out[i];
            s = ap_access(0x0C, true, &v);
        }
    }
    record(s);
    return BMP_OK;
}

static bmp_status fake_read_block(dp_link *link, uint32_t *values, size_t count)
{
    CHECK(values != NULL);
    return fake_block(link, values, NULL, count);
}

static bmp_status fake_write_block(dp_link *link, const uint32_t *values, size_t count)
{
    CHECK(values != NULL);
    return fake_block(link, NULL, values, count);
}

static bmp_status fake_flush(dp_link *link)
{
    CHECK(link == &T.link);
    bmp_status s = T.pending;
    T.pending = BMP_OK;
    return s;
}

static bmp_status fake_reset_pin(dp_link *link, bool asserted)
{
    CHECK(link == &T.link);
    bmp_status s = injected(1);
    if (s != BMP_OK) return s;
    if (!asserted) core_reset();
    return BMP_OK;
}

static bmp_status fake_read_match(dp_link *link, bool ap, uint8_t addr, uint32_t mask, uint32_t match)
{
    uint32_t v = 0;
    for (unsigned i = 0; i <= DP_LINK_MATCH_RETRIES && T.pending == BMP_OK; i++) {
        fake_read(link, ap, addr, &v);
        if (T.pending == BMP_OK && (v & mask) == match) return BMP_OK;
    }
    if (T.pending == BMP_OK) T.pending = BMP_ERR_MISMATCH;
    return BMP_OK;
}

static const dp_link_ops fake_ops = {
    .connect = fake_connect,
    .read = fake_read,
    .write = fake_write,
    .read_block = fake_read_block,
    .write_block = fake_write_block,
    .flush = fake_flush,
    .reset_pin = fake_reset_pin,
    .read_match = fake_read_match,
};

static void target_init(const uint8_t cfg[4])
{
    static const uint32_t cpuids[8] = {0x410FC241u, 0x410CC200u, 0x410CC601u, 0x412FC231u,
                                       0x411FC272u, 0x410FD213u, 0x41000000u, 0x410FC241u};
    static const bmp_status kinds[4] = {BMP_OK, BMP_ERR_FAULT, BMP_ERR_NO_RESPONSE, BMP_ERR_WAIT};

    memset(&T, 0, sizeof T);
    T.link.ops = &fake_ops;
    T.inject_kind = kinds[(cfg[0] >> 1) & 3u];
    T.inject_mask = (2u << ((cfg[0] >> 3) & 7u)) - 1u;
    T.unmapped_faults = (cfg[0] & 0x40u) != 0;
    T.run_mode = cfg[1] & 7u;
    T.run_budget = (cfg[1] >> 3) & 15u;
    T.flash_programmable = (cfg[1] & 0x80u) != 0;
    T.cpuid = cpuids[cfg[2] & 7u];
    T.mvfr0 = (cfg[2] & 0x08u) ? 0x10110021u : 0;
    switch ((cfg[2] >> 4) & 3u) {
    case 0: T.idcode = 0x10076413u; T.flash_kib = 1024; T.flash_size_address = FLASH_SIZE_F4 + 2; break;
    case 1: T.idcode = 0x20036410u; T.flash_kib = 64; T.flash_size_address = FLASH_SIZE_F1; break;
    case 2: T.idcode_h7 = 0x10036450u; T.flash_kib = 2048; T.flash_size_address = FLASH_SIZE_H7; break;
    default: break;
    }
    /* FP_CTRL: six code comparators; REV in bits 31:28 */
    T.fp_ctrl = 6u << 4 | ((cfg[2] & 0x40u) ? 1u << 28 : 0);
    T.ap_count = (cfg[2] & 0x80u) ? 2 : 1;
    T.rng = 0x9E3779B9u ^ (uint32_t)cfg[3] * 0x01000193u;
    if (T.rng == 0) T.rng = 1;

    /* Erased flash with a vector table and, at the reset handler, BKPT 0xAB then BKPT 0. */
    memset(T.flash, 0xFF, sizeof T.flash);
    put_le32(T.flash, RAM_BASE + MEM_SIZE);
    put_le32(T.flash + 4, FLASH_BASE + 0x101u);
    T.flash[0x100] = 0xAB, T.flash[0x101] = 0xBE;
    T.flash[0x102] = 0x00, T.flash[0x103] = 0xBE;

    /* The core runs, debug off, in its reset handler. */
    T.halted = false;
    T.debug_off = true;
    T.regs[13] = RAM_BASE + MEM_SIZE;
    T.regs[15] = FLASH_BASE + 0x100u;
    T.regs[16] = 1u << 24;
}

/* ---- the GDB side ---- */

static probe_session probe;

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1; /* the server writes lowercase digits */
}

static void on_output(void *ctx, const uint8_t *data, size_t length)
{
    gdb_server *g = ctx;
    CHECK(g == &server);
    CHECK(data != NULL && length > 0);
    if (length == 1 && (data[0] == '+' || data[0] == '-')) {
        CHECK(!g->noack);
        return;
    }
    CHECK(length >= 4);
    CHECK(data[0] == '$');
    CHECK(data[length - 3] == '#');
    uint8_t sum = 0;
    size_t payload = 0;
    for (size_t i = 1; i < length - 3; i++, payload++) {
        uint8_t c = data[i];
        CHECK(c != '$' && c != '#' && c != '*');
        sum = (uint8_t)(sum + c);
        if (c == '}') {
            CHECK(i + 1 < length - 3);
            uint8_t e = (uint8_t)(data[++i] ^ 0x20);
            CHECK(e == '$' || e == '#' || e == '}' || e == '*');
            sum = (uint8_t)(sum + data[i]);
        }
    }
    int hi = hex_digit(data[length - 2]), lo = hex_digit(data[length - 1]);
    CHECK(hi >= 0 && lo >= 0);
    CHECK((uint8_t)(hi << 4 | lo) == sum);
    CHECK(payload <= GDB_PACKET_SIZE);
}

/* Writes the right checksum after each packet's '#', following the framing rules: '$' starts
 * (or restarts) a packet, '#' ends its payload, two digits follow. */
static void repair_checksums(uint8_t *data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    bool in_packet = false;
    uint8_t sum = 0;
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        if (c == '$') {
            in_packet = true;
            sum = 0;
        } else if (!in_packet) {
            continue;
        } else if (c == '#') {
            in_packet = false;
            if (i + 1 < size) data[i + 1] = (uint8_t)digits[sum >> 4];
            if (i + 2 < size) data[i + 2] = (uint8_t)digits[sum & 15];
            i += 2;
        } else {
            sum = (uint8_t)(sum + c);
        }
    }
}

/* How much of the stream goes to gdb_server_input next. In packet mode, a whole packet (to the
 * end of its checksum) or one byte between packets, as GDB sends them when it waits for each
 * reply; otherwise random sizes. */
static size_t next_chunk(const uint8_t *stream, size_t left, bool packet_mode, uint32_t *rng)
{
    if (packet_mode) {
        if (stream[0] != '$') return 1;
        const uint8_t *end = memchr(stream, '#', left);
        return end ? (size_t)(end - stream) + 3 : left;
    }
    uint32_t r = next_random(rng);
    switch (r & 3u) {
    case 0: return 1;
    case 1: return 1 + (r >> 2) % 16;
    case 2: return 1 + (r >> 2) % 256;
    default: return left;
    }
}

static void poll_some(unsigned times)
{
    for (unsigned i = 0; i < times && gdb_server_poll(&server); i++) {}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t cfg[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < 4 && i < size; i++) cfg[i] = data[i];
    size_t length = size > 4 ? size - 4 : 0;
    uint8_t *stream = malloc(length ? length : 1);
    if (!stream) fail("out of memory");
    if (length) memcpy(stream, data + 4, length);
    if (!(cfg[0] & 0x80u)) repair_checksums(stream, length);

    target_init(cfg);
    probe_session_init(&probe, &T.link);
    if (cfg[0] & 1u) {
        if (probe_scan(&probe) == BMP_OK && probe.target_count > 0 && probe_attach(&probe, 0) == BMP_OK) {
            probe.core.polls = 32;
            cortexm_halt(&probe.core); /* as the server's own attach does */
        }
    }
    T.inject_on = true;
    T.transactions = 0;

    /* gdb_server_init clears the 80 KB struct a byte at a time, which under coverage tracing
     * costs more than the rest of a run: it runs once, and each run starts from a copy of the
     * state it left (the struct's pointers point into `server` itself, so the copy is exact). */
    static gdb_server pristine;
    static bool initialised;
    if (!initialised) {
        gdb_server_init(&server, &probe, on_output, &server);
        /* An embedding's monitor command, answered between chunks (see answer_monitor), and
         * semihosting answers as a script sets them. */
        CHECK(gdb_server_add_monitor(&server, "python", "a command the embedding serves"));
        CHECK(!gdb_server_add_monitor(&server, "python", "taken"));
        CHECK(!gdb_server_add_monitor(&server, "reset", "the core's own"));
        CHECK(gdb_server_set_cmdline(&server, "fuzz --args", 11));
        static const uint32_t heap[4] = {0x20001000u, 0x20002000u, 0x20004000u, 0x20003000u};
        gdb_server_set_heapinfo(&server, heap);
        memcpy(&pristine, &server, sizeof server);
        initialised = true;
    }
    memcpy(&server, &pristine, sizeof server);
    static uint8_t image[64 * 1024];
    if (cfg[3] & 4u) gdb_server_set_flash_buffer(&server, image, sizeof image);
    uint32_t chunk_rng = T.rng ^ 0x5BD1E995u;
    if (chunk_rng == 0) chunk_rng = 1;
    static const unsigned polls[4] = {48, 4, 48, 1};
    const unsigned mode = cfg[3] & 3u;
    for (size_t at = 0; at < length;) {
        size_t n = next_chunk(stream + at, length - at, mode == 0, &chunk_rng);
        if (n > length - at) n = length - at;
        gdb_server_input(&server, stream + at, n);
        at += n;
        answer_monitor(&chunk_rng);
        poll_some(polls[mode]);
    }
    poll_some(64);
    gdb_server_disconnect(&server);
    CHECK(probe.attached < 0);

    free(stream);
    return 0;
}
