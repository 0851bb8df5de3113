#include "gdb/gdb_server.h"
#include "cortexm/debug_regs.h"

#include "common/bytes.h"
#include "gdb/hex.h"
#include "flash/crc32.h"
#include "cortexm/description.h"
#include "flash/flash.h"
#include "flash/flash_loader.h"

#define SIGINT 2
#define SIGTRAP 5
#define SIGSEGV 11
#define BKPT 0xBE00u
#define BKPT_SEMIHOSTING 0xBEABu

/* Register numbers as target.xml gives them (description.c): r0-r15, xpsr 25, msp, psp,
 * primask, basepri, faultmask, control (one byte each, in REGSEL 20), d0-d15, fpscr. */
typedef struct gdb_register {
    uint8_t regnum;
    uint8_t regsel;
    uint8_t bytes;  /* 1, 4 or 8 */
    uint8_t lane;   /* byte of REGSEL 20 for the 8-bit ones */
} gdb_register;

static unsigned register_table(const gdb_server *g, gdb_register *out)
{
    unsigned n = 0;
    for (unsigned i = 0; i < 16; i++) out[n++] = (gdb_register){(uint8_t)i, (uint8_t)i, 4, 0};
    out[n++] = (gdb_register){25, 16, 4, 0};
    out[n++] = (gdb_register){26, 17, 4, 0};
    out[n++] = (gdb_register){27, 18, 4, 0};
    for (unsigned i = 0; i < 4; i++) out[n++] = (gdb_register){(uint8_t)(28 + i), 20, 1, (uint8_t)i};
    if (g->probe->attached >= 0 && g->probe->core.has_fpu) {
        for (unsigned i = 0; i < 16; i++) out[n++] = (gdb_register){(uint8_t)(32 + i), (uint8_t)(0x40 + 2 * i), 8, 0};
        out[n++] = (gdb_register){48, 0x21, 4, 0};
    }
    return n;
}

/* ---- payload helpers ---- */

/* "addr,length" followed by `end` (or the end of the string when end is 0). */
static bool parse_range(const char **p, uint32_t *addr, uint32_t *length, char end)
{
    if (!hex_parse_u32(p, addr) || **p != ',') return false;
    (*p)++;
    if (!hex_parse_u32(p, length)) return false;
    if (**p != end) return false;
    if (end) (*p)++;
    return true;
}

static bool starts(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++) return false;
    return true;
}

static size_t text_length(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static void reply_bytes(gdb_server *g, const uint8_t *data, size_t length)
{
    for (size_t i = 0; i < length && g->reply_length < GDB_PACKET_SIZE; i++) g->reply[g->reply_length++] = data[i];
}

void gdb_reply_str(gdb_server *g, const char *s)
{
    reply_bytes(g, (const uint8_t *)s, text_length(s));
}

void gdb_reply_hex(gdb_server *g, const uint8_t *data, size_t length)
{
    size_t room = (GDB_PACKET_SIZE - g->reply_length) / 2;
    if (length > room) length = room;
    hex_encode(data, length, (char *)g->reply + g->reply_length);
    g->reply_length += 2 * length;
}

/* `digits` hex digits, or as few as the value needs with 0. */
static void reply_hex_number(gdb_server *g, uint32_t v, unsigned digits)
{
    char s[9];
    hex_format_u32(v, digits, s);
    gdb_reply_str(g, s);
}

static void send_framed(gdb_server *g, const uint8_t *payload, size_t length, bool keep)
{
    uint8_t *out = keep ? g->last : g->scratch;
    size_t capacity = keep ? sizeof g->last : sizeof g->scratch;
    size_t n = rsp_frame(payload, length, out, capacity);
    if (n == 0) return; /* cannot happen: buffers are sized for the worst case */
    if (keep) g->last_length = n;
    g->output(g->output_ctx, out, n);
}

void gdb_send_reply(gdb_server *g)
{
    send_framed(g, g->reply, g->reply_length, true);
    g->reply_length = 0;
}

static void send_str(gdb_server *g, const char *s)
{
    g->reply_length = 0;
    gdb_reply_str(g, s);
    gdb_send_reply(g);
}

void gdb_console(gdb_server *g, const char *text)
{
    gdb_console_bytes(g, text, text_length(text));
}

void gdb_console_bytes(gdb_server *g, const char *text, size_t n)
{
    /* O packets are built on the stack so that a reply under construction survives. */
    uint8_t packet[1 + 2 * 256];
    size_t at = 0;
    while (at < n) {
        size_t chunk = n - at < 256 ? n - at : 256, k = 1;
        packet[0] = 'O';
        hex_encode((const uint8_t *)text + at, chunk, (char *)packet + k);
        k += 2 * chunk;
        uint8_t framed[2 * sizeof packet + 8];
        size_t f = rsp_frame(packet, k, framed, sizeof framed);
        if (f) g->output(g->output_ctx, framed, f);
        at += chunk;
    }
}

static void send_error(gdb_server *g, unsigned code)
{
    g->reply_length = 0;
    gdb_reply_str(g, "E");
    reply_hex_number(g, code, 2);
    gdb_send_reply(g);
}

/* ---- target access ---- */

static bool attached(const gdb_server *g)
{
    return g->probe->attached >= 0;
}

static cortexm *core(gdb_server *g)
{
    return &g->probe->core;
}

static bmp_status mem_read(gdb_server *g, uint32_t addr, uint8_t *data, size_t length)
{
    return adiv5_mem_read(&g->probe->dp, g->probe->core.apsel, addr, data, length);
}

static bmp_status mem_write(gdb_server *g, uint32_t addr, const uint8_t *data, size_t length)
{
    gdb_forget_halt_state(g);
    return adiv5_mem_write(&g->probe->dp, g->probe->core.apsel, addr, data, length);
}

void gdb_forget_halt_state(gdb_server *g)
{
    g->regs_valid = false;
    for (unsigned i = 0; i < GDB_WINDOWS; i++) g->windows[i].length = 0;
}

/* The flash, ROM or RAM region of an identified part holding `addr` (never a peripheral:
 * reading one can have side effects, so nothing there is read ahead or cached). */
static const part_memory *cacheable_region(const gdb_server *g, uint32_t addr)
{
    if (!g->probe->part_known) return 0;
    for (unsigned i = 0; i < g->probe->part.memory_count; i++) {
        const part_memory *m = &g->probe->part.memories[i];
        if (m->kind != PART_MEMORY_DEVICE && addr >= m->start && addr - m->start < m->length) return m;
    }
    return 0;
}

/* A word-aligned window of at most `bytes` from `before` bytes below `anchor`, clipped to the
 * cacheable region that holds `anchor`; false if there is none. */
static bool window_around(const gdb_server *g, uint32_t anchor, uint32_t before, uint32_t bytes, uint32_t *start,
                          uint32_t *length)
{
    const part_memory *m = cacheable_region(g, anchor);
    if (!m) return false;
    uint32_t from = (anchor & ~3u) - m->start < before ? (m->start + 3u) & ~3u : (anchor & ~3u) - before;
    uint32_t room = m->start + m->length - from; /* the region ends at 4 GiB at the most */
    *start = from;
    *length = (bytes < room ? bytes : room) & ~3u;
    return *length > 0;
}

/* Stores words read from the target as the bytes of window `w`. */
static void fill_window(gdb_server *g, unsigned w, uint32_t addr, const uint32_t *words, uint32_t length)
{
    struct gdb_window *win = &g->windows[w];
    for (uint32_t i = 0; i < length; i++) win->data[i] = (uint8_t)(words[i / 4] >> (8 * (i % 4)));
    win->addr = addr;
    win->length = length;
}

/* A small read, served from a window when it lies inside one; a miss reads a 64-byte block
 * of flash, ROM or RAM around it into the next window. */
static bmp_status cached_read(gdb_server *g, uint32_t addr, uint8_t *data, size_t length)
{
    if (length == 0 || length > 64) return mem_read(g, addr, data, length);
    for (unsigned i = 0; i < GDB_WINDOWS; i++) {
        const struct gdb_window *w = &g->windows[i];
        if (w->length && addr >= w->addr && addr - w->addr + length <= w->length) {
            for (size_t k = 0; k < length; k++) data[k] = w->data[addr - w->addr + k];
            return 0;
        }
    }
    uint32_t block = addr & ~63u;
    if (addr - block + length > 64) block = addr & ~3u;
    const part_memory *m = cacheable_region(g, block);
    if (!m || block - m->start + 64 > m->length) return mem_read(g, addr, data, length);
    unsigned w = g->next_window;
    struct gdb_window *win = &g->windows[w];
    win->length = 0;
    bmp_status s = mem_read(g, block, win->data, 64);
    if (s != 0) return s;
    win->addr = block;
    win->length = 64;
    g->next_window = (w + 1) % GDB_WINDOWS;
    for (size_t k = 0; k < length; k++) data[k] = win->data[addr - block + k];
    return 0;
}

static const unsigned core_regsel[GDB_CORE_REGS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20};

/* Where a REGSEL's value sits in g->regs (-1: not cached: the FPU's). */
static int cached_index(unsigned regsel)
{
    return regsel <= 18 ? (int)regsel : regsel == 20 ? 19 : -1;
}

/* The core registers of this stop, read in one batch if they are not at hand. */
static bmp_status core_registers(gdb_server *g)
{
    if (g->regs_valid) return 0;
    bmp_status s = cortexm_read_registers(core(g), core_regsel, GDB_CORE_REGS, g->regs);
    g->regs_valid = s == 0;
    return s;
}

static bmp_status read_gdb_register(gdb_server *g, const gdb_register *r, uint8_t *out)
{
    uint32_t v = 0, hi = 0;
    bmp_status s = cortexm_read_register(core(g), r->regsel, &v);
    if (s == 0 && r->bytes == 8) s = cortexm_read_register(core(g), r->regsel + 1u, &hi);
    if (s != 0) return s;
    if (r->bytes == 1) v >>= 8 * r->lane;
    for (unsigned i = 0; i < r->bytes; i++) out[i] = (uint8_t)((i < 4 ? v >> (8 * i) : hi >> (8 * (i - 4))) & 0xFF);
    return 0;
}

static bmp_status write_gdb_register(gdb_server *g, const gdb_register *r, const uint8_t *in)
{
    g->regs_valid = false;
    uint32_t v = (uint32_t)in[0], hi = 0;
    if (r->bytes >= 4) v |= (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
    if (r->bytes == 8) hi = (uint32_t)in[4] | (uint32_t)in[5] << 8 | (uint32_t)in[6] << 16 | (uint32_t)in[7] << 24;
    if (r->bytes == 1) {
        uint32_t old = 0;
        bmp_status s = cortexm_read_register(core(g), r->regsel, &old);
        if (s != 0) return s;
        v = (old & ~(0xFFu << (8 * r->lane))) | v << (8 * r->lane);
    }
    bmp_status s = cortexm_write_register(core(g), r->regsel, v);
    if (s == 0 && r->bytes == 8) s = cortexm_write_register(core(g), r->regsel + 1u, hi);
    return s;
}

/* ---- stop replies ---- */

static gdb_sw_breakpoint *sw_at(gdb_server *g, uint32_t addr)
{
    for (unsigned i = 0; i < GDB_MAX_SW_BREAKPOINTS; i++)
        if (g->sw[i].used && g->sw[i].addr == addr) return &g->sw[i];
    return 0;
}

static void send_stop(gdb_server *g, unsigned signal, const char *why, uint32_t data_addr)
{
    g->run = GDB_IDLE;
    g->last_signal = signal;
    g->reply_length = 0;
    gdb_reply_str(g, "T");
    reply_hex_number(g, signal, 2);
    if (why) {
        gdb_reply_str(g, why);
        gdb_reply_str(g, ":");
        if (data_addr != 0xFFFFFFFFu) reply_hex_number(g, data_addr, 8);
        gdb_reply_str(g, ";");
    }
    gdb_reply_str(g, "thread:1;");
    gdb_send_reply(g);
}

/* The core has halted for `reason`: say so. A BKPT 0xAB is a semihosting call, served without
 * stopping. */
static void report_reason(gdb_server *g, cortexm_halt_reason reason, uint32_t where)
{
    uint32_t pc = 0;
    if (g->interrupted) {
        g->interrupted = false;
        send_stop(g, SIGINT, 0, 0);
        return;
    }
    switch (reason) {
    case CORTEXM_HALT_BREAKPOINT: {
        uint8_t b[2] = {0, 0};
        if (core_registers(g) == 0 && !sw_at(g, pc = g->regs[15]) && cached_read(g, pc, b, 2) == 0) {
            uint16_t insn = (uint16_t)(b[0] | b[1] << 8);
            if (insn == BKPT_SEMIHOSTING && gdb_semihosting_start(g)) return;
            if ((insn & 0xFF00u) == BKPT) { /* the program's own BKPT */
                send_stop(g, SIGTRAP, 0, 0);
                return;
            }
        }
        send_stop(g, SIGTRAP, sw_at(g, pc) ? "swbreak" : "hwbreak", 0xFFFFFFFFu);
        return;
    }
    case CORTEXM_HALT_WATCHPOINT:
        for (unsigned i = 0; i < CORTEXM_MAX_WATCHPOINTS; i++) {
            gdb_watch *w = &g->watches[i];
            if (w->used && where >= w->addr && where < w->addr + w->size) {
                send_stop(g, SIGTRAP, w->kind == 2 ? "watch" : w->kind == 3 ? "rwatch" : "awatch", w->addr);
                return;
            }
        }
        send_stop(g, SIGTRAP, "watch", where);
        return;
    case CORTEXM_HALT_LOCKUP:
        /* Locked up is not halted: the registers stay out of reach until the core enters debug
         * state, which also ends the lockup (ARMv7-M B1.5.15). GDB reads them next. */
        cortexm_halt(core(g));
        send_stop(g, SIGSEGV, 0, 0);
        return;
    case CORTEXM_HALT_REQUEST: send_stop(g, SIGINT, 0, 0); return;
    default: send_stop(g, SIGTRAP, 0, 0); return;
    }
}

/* The core has halted: find out why and say so. */
static void report_halt(gdb_server *g)
{
    cortexm_halt_reason reason = CORTEXM_HALT_NONE;
    uint32_t where = 0;
    if (cortexm_halt_reason_of(core(g), &reason, &where) != 0) {
        send_stop(g, SIGTRAP, 0, 0);
        return;
    }
    report_reason(g, reason, where);
}

bool gdb_server_poll(gdb_server *g)
{
    if (g->run != GDB_RUNNING) return false;
    cortexm_halt_reason reason = CORTEXM_HALT_NONE;
    uint32_t where = 0;
    bmp_status s = cortexm_halt_reason_of(core(g), &reason, &where);
    if (s != 0) {
        /* The target went away while running: stop with SIGSEGV so GDB regains control. */
        gdb_console(g, "The target stopped answering while running.\n");
        send_stop(g, SIGSEGV, 0, 0);
        return false;
    }
    if (reason == CORTEXM_HALT_NONE) return true;
    gdb_forget_halt_state(g); /* it ran */
    report_reason(g, reason, where);
    return g->run == GDB_RUNNING;
}

static void add_window(cortexm_step_batch *b, uint32_t start, uint32_t length, uint32_t *words)
{
    b->windows[b->window_count].addr = start;
    b->windows[b->window_count].words = length / 4;
    b->windows[b->window_count].data = words;
    b->window_count++;
}

/* One instruction, in one batch with what GDB reads next: the registers, and windows around the
 * PC and the stack pointer of the previous stop (a step moves them little), read after the
 * halt. GDB's stepi then costs one round trip on a CMSIS-DAP probe. */
static void step(gdb_server *g)
{
    bool known = g->regs_valid;
    uint32_t pc = g->regs[15], sp = g->regs[13];
    uint32_t code[GDB_WINDOW_BYTES / 4], stack[GDB_WINDOW_BYTES / 4];
    cortexm_step_batch b = {.regsel = core_regsel, .count = GDB_CORE_REGS, .values = g->regs, .pc_known = known, .pc = pc};
    uint32_t start, length;
    /* GDB reads a few bytes either side of the new PC, and 64 bytes of stack around the new SP
     * (its unwinder looks below and above it). */
    if (known && window_around(g, pc, 24, 60, &start, &length)) add_window(&b, start, length, code);
    if (known && window_around(g, sp, 64, GDB_WINDOW_BYTES, &start, &length)) add_window(&b, start, length, stack);
    gdb_forget_halt_state(g);
    g->run = GDB_STEPPING;
    if (cortexm_step_batched(core(g), true, &b) != 0) {
        send_stop(g, SIGSEGV, 0, 0);
        return;
    }
    g->regs_valid = true;
    for (unsigned i = 0; b.windows_read && i < b.window_count; i++)
        fill_window(g, i, b.windows[i].addr, b.windows[i].data, 4 * b.windows[i].words);
    g->next_window = b.windows_read ? b.window_count % GDB_WINDOWS : 0;
    cortexm_halt_reason reason = CORTEXM_HALT_NONE;
    uint32_t where = 0;
    if (cortexm_halt_reason_from(core(g), b.dhcsr, b.dfsr, &reason, &where) != 0) {
        send_stop(g, SIGTRAP, 0, 0);
        return;
    }
    report_reason(g, reason, where);
}

static void resume(gdb_server *g, bool stepping)
{
    if (!attached(g)) {
        gdb_forget_halt_state(g);
        send_str(g, "X1d"); /* no process: as if it had exited */
        return;
    }
    if (stepping) {
        step(g);
        return;
    }
    gdb_forget_halt_state(g);
    if (cortexm_resume(core(g)) != 0) {
        send_stop(g, SIGSEGV, 0, 0);
        return;
    }
    g->run = GDB_RUNNING;
}

void gdb_resume(gdb_server *g)
{
    resume(g, false);
}

void gdb_report_stop(gdb_server *g, unsigned signal)
{
    send_stop(g, signal, 0, 0);
}

/* ---- breakpoints and watchpoints ---- */

static bmp_status insert_sw(gdb_server *g, uint32_t addr)
{
    if (sw_at(g, addr)) return 0;
    gdb_sw_breakpoint *slot = 0;
    for (unsigned i = 0; i < GDB_MAX_SW_BREAKPOINTS && !slot; i++)
        if (!g->sw[i].used) slot = &g->sw[i];
    if (!slot) return BMP_ERR_NO_RESOURCE;
    uint8_t old[2], bkpt[2] = {0x00, 0xBE}, check[2];
    bmp_status s = mem_read(g, addr, old, 2);
    if (s == 0) s = mem_write(g, addr, bkpt, 2);
    if (s == 0) s = mem_read(g, addr, check, 2);
    if (s != 0 || check[0] != bkpt[0] || check[1] != bkpt[1]) {
        /* Not writable (flash, ROM): a hardware breakpoint does the job. */
        return cortexm_set_breakpoint(core(g), addr);
    }
    *slot = (gdb_sw_breakpoint){.addr = addr, .saved = get_le16(old), .used = true};
    return 0;
}

static bmp_status remove_sw(gdb_server *g, uint32_t addr)
{
    gdb_sw_breakpoint *b = sw_at(g, addr);
    if (!b) return cortexm_clear_breakpoint(core(g), addr);
    uint8_t old[2];
    put_le16(old, b->saved);
    b->used = false;
    return mem_write(g, addr, old, 2);
}

static void remove_all_sw(gdb_server *g)
{
    for (unsigned i = 0; i < GDB_MAX_SW_BREAKPOINTS; i++)
        if (g->sw[i].used) remove_sw(g, g->sw[i].addr);
}

static void handle_breakpoint(gdb_server *g, const char *p, bool insert)
{
    uint32_t type = 0, addr = 0, kind = 0;
    const char *q = p + 1;
    if (!hex_parse_u32(&q, &type) || *q++ != ',' || !hex_parse_u32(&q, &addr) || *q++ != ',' || !hex_parse_u32(&q, &kind)) {
        send_error(g, 0x16);
        return;
    }
    if (type > 4) {
        send_str(g, ""); /* not supported */
        return;
    }
    if (!attached(g)) {
        send_error(g, 0x01);
        return;
    }
    bmp_status s;
    if (type == 0) {
        s = insert ? insert_sw(g, addr) : remove_sw(g, addr);
    } else if (type == 1) {
        s = insert ? cortexm_set_breakpoint(core(g), addr) : cortexm_clear_breakpoint(core(g), addr);
    } else {
        /* Z2 write, Z3 read, Z4 access -> DWT FUNCTION 6, 5, 7; the length GDB gives as kind. */
        static const uint8_t function[5] = {0, 0, CORTEXM_WATCH_WRITE, CORTEXM_WATCH_READ, CORTEXM_WATCH_ACCESS};
        if (kind == 0 || kind > 0x8000u) { /* the DWT masks at most 32 KiB (ARMv7-M C1.8.7) */
            send_error(g, 0x16);
            return;
        }
        uint32_t size = 1;
        while (size < kind) size <<= 1;
        uint32_t base = addr & ~(size - 1);
        if (base + size < addr + kind) { /* straddles: cover it with the next power of two */
            size <<= 1;
            base = addr & ~(size - 1);
        }
        if (insert) {
            s = cortexm_set_watchpoint(core(g), base, size, (cortexm_watch)function[type]);
            for (unsigned i = 0; s == 0 && i < CORTEXM_MAX_WATCHPOINTS; i++)
                if (!g->watches[i].used) {
                    g->watches[i] = (gdb_watch){.addr = base, .size = size, .kind = (uint8_t)type, .used = true};
                    break;
                }
        } else {
            s = cortexm_clear_watchpoint(core(g), base, size);
            for (unsigned i = 0; i < CORTEXM_MAX_WATCHPOINTS; i++)
                if (g->watches[i].used && g->watches[i].addr == base && g->watches[i].size == size) g->watches[i].used = false;
        }
    }
    if (s == 0) send_str(g, "OK");
    else send_error(g, s == BMP_ERR_NO_RESOURCE ? 0x1c : 0x0e);
}

/* ---- qXfer ---- */

static void xfer_reply(gdb_server *g, const char *doc, size_t length, const char *range)
{
    uint32_t offset = 0, want = 0;
    if (!parse_range(&range, &offset, &want, 0)) {
        send_error(g, 0x16);
        return;
    }
    g->reply_length = 0;
    if (offset >= length) {
        gdb_reply_str(g, "l");
    } else {
        size_t n = length - offset;
        if (want > GDB_PACKET_SIZE - 8) want = GDB_PACKET_SIZE - 8;
        if (n > want) n = want;
        gdb_reply_str(g, offset + n >= length ? "l" : "m");
        reply_bytes(g, (const uint8_t *)doc + offset, n);
    }
    gdb_send_reply(g);
}

static void handle_xfer(gdb_server *g, const char *p)
{
    char *doc = (char *)g->scratch;
    size_t n = 0;
    const char *range;
    if (starts(p, "qXfer:features:read:target.xml:")) {
        range = p + 31;
        n = cortexm_target_xml(attached(g) && core(g)->has_fpu, doc, sizeof g->scratch);
    } else if (starts(p, "qXfer:memory-map:read::")) {
        range = p + 23;
        if (attached(g) && g->probe->part_known) n = part_memory_map_xml(&g->probe->part, doc, sizeof g->scratch);
        else {
            static const char none[] = "<?xml version=\"1.0\"?>\n<memory-map/>\n";
            for (n = 0; none[n]; n++) doc[n] = none[n];
        }
    } else if (starts(p, "qXfer:threads:read::")) {
        range = p + 20;
        static const char a[] = "<?xml version=\"1.0\"?>\n<threads>\n", t1[] = "  <thread id=\"1\" core=\"0\" name=\"",
                          t2[] = "\"/>\n", z[] = "</threads>\n";
        const char *parts[5] = {a, attached(g) ? t1 : "", attached(g) ? probe_part_name(g->probe) : "",
                                attached(g) ? t2 : "", z};
        for (unsigned i = 0; i < 5; i++)
            for (const char *s = parts[i]; *s && n < sizeof g->scratch; s++) doc[n++] = *s;
    } else {
        send_str(g, "");
        return;
    }
    xfer_reply(g, doc, n, range);
}

/* ---- memory ---- */

static void handle_memory(gdb_server *g, char op, const char *p, size_t length)
{
    uint32_t addr = 0, count = 0;
    const char *q = p + 1;
    if (!attached(g)) {
        send_error(g, 0x01);
        return;
    }
    if (op == 'm') {
        if (!parse_range(&q, &addr, &count, 0)) {
            send_error(g, 0x16);
            return;
        }
        if (count > GDB_PACKET_SIZE / 2) count = GDB_PACKET_SIZE / 2;
        if (cached_read(g, addr, g->scratch, count) != 0) {
            send_error(g, 0x0e);
            return;
        }
        g->reply_length = 0;
        gdb_reply_hex(g, g->scratch, count);
        gdb_send_reply(g);
        return;
    }
    if (!parse_range(&q, &addr, &count, ':')) {
        send_error(g, 0x16);
        return;
    }
    size_t at = (size_t)(q - p), data_length = length - at;
    long n;
    if (op == 'M') {
        n = hex_decode(q, data_length, g->scratch, sizeof g->scratch);
    } else { /* X: binary with escapes */
        size_t u = rsp_unescape((uint8_t *)p + at, data_length);
        n = u == (size_t)-1 ? -1 : (long)u;
        if (n >= 0) for (long i = 0; i < n; i++) g->scratch[i] = (uint8_t)p[at + (size_t)i];
    }
    if (n < 0 || (uint32_t)n != count) {
        send_error(g, 0x16);
        return;
    }
    if (count && mem_write(g, addr, g->scratch, count) != 0) {
        send_error(g, 0x0e);
        return;
    }
    send_str(g, "OK");
}

static void handle_crc(gdb_server *g, const char *p)
{
    uint32_t addr = 0, length = 0;
    if (!parse_range(&p, &addr, &length, 0)) {
        send_error(g, 0x16);
        return;
    }
    if (!attached(g)) {
        send_error(g, 0x01);
        return;
    }
    if (length > (64u << 20)) { /* a bound, so that one packet cannot hold the server for hours */
        send_error(g, 0x16);
        return;
    }
    uint32_t crc = CRC32_GDB_INITIAL;
    /* Long ranges in the part's memories: let the target compute it (the RAM it borrows is put
     * back), unless the range covers that RAM; else (and anywhere a read could fault, which
     * would leave the routine's HardFault active in the core) read it here. The wait is bounded at 10,000 value matches (about 10
     * million DHCSR reads). */
    flash_ram ram = {0, 0};
    const unsigned memory = PART_KIND(PART_MEMORY_FLASH) | PART_KIND(PART_MEMORY_RAM) | PART_KIND(PART_MEMORY_ROM);
    if (length >= 1024 && g->probe->part_known && part_holds(&g->probe->part, memory, addr, length) &&
        flash_default_ram(g->probe, &ram) &&
        (addr >= ram.base + FLASH_LOADER_CRC_RAM || addr + length <= ram.base) &&
        flash_loader_crc(core(g), ram.base, ram.size, addr, length, &crc, 10000u) == 0) {
        gdb_forget_halt_state(g); /* put back as it was, but it ran */
        g->reply_length = 0;
        gdb_reply_str(g, "C");
        reply_hex_number(g, crc, 8);
        gdb_send_reply(g);
        return;
    }
    crc = CRC32_GDB_INITIAL;
    while (length) {
        uint32_t n = length < sizeof g->scratch ? length : (uint32_t)sizeof g->scratch;
        if (mem_read(g, addr, g->scratch, n) != 0) {
            send_error(g, 0x0e);
            return;
        }
        crc = crc32_gdb(crc, g->scratch, n);
        addr += n;
        length -= n;
    }
    g->reply_length = 0;
    gdb_reply_str(g, "C");
    reply_hex_number(g, crc, 8);
    gdb_send_reply(g);
}

/* ---- registers ---- */

static void handle_registers(gdb_server *g, char op, const char *p, size_t length)
{
    gdb_register regs[64];
    unsigned count = register_table(g, regs);
    uint8_t bytes[8];
    if (!attached(g)) {
        send_error(g, 0x01);
        return;
    }
    if (op == 'g') {
        /* All but the FPU's (they come last in the table), from what the stop read in its
         * batch: GDB takes a short reply as "fetch the others with p when needed", and
         * stepping needs none of them. */
        if (core_registers(g) != 0) {
            send_error(g, 0x0e);
            return;
        }
        g->reply_length = 0;
        for (unsigned i = 0; i < count && cached_index(regs[i].regsel) >= 0; i++) {
            uint32_t v = g->regs[cached_index(regs[i].regsel)] >> (regs[i].bytes == 1 ? 8 * regs[i].lane : 0);
            for (unsigned b = 0; b < regs[i].bytes; b++) bytes[b] = (uint8_t)(v >> (8 * b));
            gdb_reply_hex(g, bytes, regs[i].bytes);
        }
        gdb_send_reply(g);
        return;
    }
    if (op == 'G') {
        size_t at = 1;
        for (unsigned i = 0; i < count && at + 2u * regs[i].bytes <= length; i++) {
            if (hex_decode(p + at, 2u * regs[i].bytes, bytes, sizeof bytes) < 0 || write_gdb_register(g, &regs[i], bytes) != 0) {
                send_error(g, 0x0e);
                return;
            }
            at += 2u * regs[i].bytes;
        }
        send_str(g, "OK");
        return;
    }
    uint32_t regnum = 0;
    const char *q = p + 1;
    if (!hex_parse_u32(&q, &regnum) || (op == 'P' && *q++ != '=')) {
        send_error(g, 0x16);
        return;
    }
    const gdb_register *r = 0;
    for (unsigned i = 0; i < count; i++)
        if (regs[i].regnum == regnum) r = &regs[i];
    if (!r) {
        send_error(g, 0x16); /* GDB then treats the register as unavailable */
        return;
    }
    if (op == 'p' && cached_index(r->regsel) >= 0 && core_registers(g) == 0) {
        uint32_t v = g->regs[cached_index(r->regsel)] >> (r->bytes == 1 ? 8 * r->lane : 0);
        g->reply_length = 0;
        for (unsigned b = 0; b < r->bytes; b++) bytes[b] = (uint8_t)(v >> (8 * b));
        gdb_reply_hex(g, bytes, r->bytes);
        gdb_send_reply(g);
        return;
    }
    if (op == 'p') {
        if (read_gdb_register(g, r, bytes) != 0) {
            send_error(g, 0x0e);
            return;
        }
        g->reply_length = 0;
        gdb_reply_hex(g, bytes, r->bytes);
        gdb_send_reply(g);
        return;
    }
    if (hex_decode(q, length - (size_t)(q - p), bytes, r->bytes) != (long)r->bytes || write_gdb_register(g, r, bytes) != 0) {
        send_error(g, 0x0e);
        return;
    }
    send_str(g, "OK");
}

/* ---- attach, run, kill ---- */

static bmp_status halt_after_attach(gdb_server *g)
{
    if (g->connect_under_reset) return cortexm_reset_pin(core(g), true);
    return cortexm_halt(core(g));
}

static void forget_target_state(gdb_server *g)
{
    gdb_forget_halt_state(g);
    g->flash_unerased_count = 0;
    g->flash_pending_length = 0;
    flash_image_clear(&g->image); /* nothing collected survives */
    for (unsigned i = 0; i < GDB_MAX_SW_BREAKPOINTS; i++) g->sw[i].used = false;
    for (unsigned i = 0; i < CORTEXM_MAX_WATCHPOINTS; i++) g->watches[i].used = false;
    g->run = GDB_IDLE;
    g->semihost_op = 0;
}

static bool attach_to(gdb_server *g, unsigned index)
{
    forget_target_state(g);
    bmp_status s = probe_attach(g->probe, index);
    if (s == 0) s = halt_after_attach(g);
    if (s == 0 && g->vector_catch) {
        uint32_t demcr = 0;
        if (cortexm_read32(core(g), DEMCR, &demcr) == 0) cortexm_write32(core(g), DEMCR, demcr | g->vector_catch);
    }
    return s == 0;
}

void gdb_detach(gdb_server *g)
{
    if (!attached(g)) return;
    remove_all_sw(g);
    forget_target_state(g);
    probe_detach(g->probe);
}

static void kill_target(gdb_server *g)
{
    if (!attached(g)) return;
    remove_all_sw(g);
    cortexm_reset(core(g), false);
    forget_target_state(g);
    probe_detach(g->probe);
}

static void handle_v(gdb_server *g, const char *p, size_t length)
{
    uint32_t pid = 0;
    if (starts(p, "vCont?")) {
        send_str(g, "vCont;c;C;s;S;t");
    } else if (starts(p, "vCont;")) {
        char action = p[6];
        if (action == 'c' || action == 'C') resume(g, false);
        else if (action == 's' || action == 'S') resume(g, true);
        else if (action == 't') {
            if (attached(g)) cortexm_halt(core(g));
            send_stop(g, SIGINT, 0, 0);
        } else send_str(g, "");
    } else if (starts(p, "vAttach;")) {
        const char *q = p + 8;
        if (!hex_parse_u32(&q, &pid) || pid == 0) {
            send_error(g, 0x16);
        } else if ((!g->probe->connected && probe_scan(g->probe) != BMP_OK) || pid > g->probe->target_count) {
            send_error(g, 0x01); /* no console output here: GDB takes O packets only while running */
        } else if (!attach_to(g, pid - 1)) {
            if (g->probe->attach_reason) { /* GDB 13 shows an E.text reply: "Attaching to ... failed with: text" */
                char *r = (char *)g->scratch;
                size_t n = 0;
                for (const char *t = "E."; *t; t++) r[n++] = *t;
                for (const char *t = g->probe->attach_reason; *t && n + 1 < sizeof g->scratch; t++) r[n++] = *t;
                r[n] = 0;
                send_str(g, r);
            } else {
                send_error(g, 0x01);
            }
        } else {
            send_stop(g, SIGTRAP, 0, 0);
        }
    } else if (starts(p, "vRun")) {
        /* Restart the program: attach to the first target if need be, reset and halt at the reset vector. */
        bool ok = attached(g) ||
                  ((g->probe->connected || (probe_scan(g->probe) == BMP_OK && g->probe->target_count > 0)) &&
                   attach_to(g, 0));
        if (ok) {
            remove_all_sw(g);
            forget_target_state(g);
            ok = cortexm_reset(core(g), true) == 0;
        }
        if (ok) send_stop(g, SIGTRAP, 0, 0);
        else send_error(g, 0x01);
    } else if (starts(p, "vKill")) {
        kill_target(g);
        send_str(g, "OK");
    } else if (starts(p, "vFlash")) {
        gdb_flash_packet(g, (char *)p, length);
    } else {
        (void)length;
        send_str(g, ""); /* vMustReplyEmpty and anything unknown */
    }
}

static void handle_query(gdb_server *g, const char *p, size_t length)
{
    if (starts(p, "qSupported")) {
        g->reply_length = 0;
        gdb_reply_str(g, "PacketSize=");
        reply_hex_number(g, GDB_PACKET_SIZE, GDB_PACKET_SIZE > 0xFFFF ? 8 : 4);
        gdb_reply_str(g, ";qXfer:memory-map:read+;qXfer:features:read+;qXfer:threads:read+"
                         ";QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+");
        gdb_send_reply(g);
    } else if (starts(p, "QStartNoAckMode")) {
        send_str(g, "OK");
        g->noack = true;
    } else if (starts(p, "qXfer:")) {
        handle_xfer(g, p);
    } else if (starts(p, "qRcmd,")) {
        long n = hex_decode(p + 6, length - 6, g->scratch, sizeof g->scratch - 1);
        if (n < 0) {
            send_error(g, 0x16);
            return;
        }
        char command[GDB_MONITOR_REQUEST_SIZE];
        size_t k = 0;
        for (long i = 0; i < n && k + 1 < sizeof command; i++) command[k++] = (char)g->scratch[i];
        command[k] = 0;
        gdb_monitor_result r = gdb_monitor(g, command);
        if (r != GDB_MONITOR_PARKED) send_str(g, r == GDB_MONITOR_DONE ? "OK" : "E01");
    } else if (starts(p, "qCRC:")) {
        handle_crc(g, p + 5);
    } else if (starts(p, "qfThreadInfo")) {
        send_str(g, attached(g) ? "m1" : "l");
    } else if (starts(p, "qsThreadInfo")) {
        send_str(g, "l");
    } else if (starts(p, "qC") && length == 2) {
        send_str(g, "QC1");
    } else if (starts(p, "qAttached")) {
        send_str(g, "1");
    } else if (starts(p, "qOffsets")) {
        send_str(g, "Text=0;Data=0;Bss=0");
    } else if (starts(p, "qSymbol:")) {
        send_str(g, "OK");
    } else {
        send_str(g, "");
    }
}

static void handle_packet(gdb_server *g, char *p, size_t length)
{
    p[length] = 0; /* the buffer has room; binary payloads are handled by length */
    if (g->semihost_op && p[0] == 'F') {
        gdb_semihosting_reply(g, p + 1);
        return;
    }
    switch (p[0]) {
    case '?':
        if (!attached(g)) send_str(g, "W00");
        else send_stop(g, g->last_signal ? g->last_signal : SIGTRAP, 0, 0);
        return;
    case '!': g->extended = true; send_str(g, "OK"); return;
    case 'g': case 'G': case 'p': case 'P': handle_registers(g, p[0], p, length); return;
    case 'm': case 'M': case 'X': handle_memory(g, p[0], p, length); return;
    case 'c': case 'C': resume(g, false); return;
    case 's': case 'S': resume(g, true); return;
    case 'Z': handle_breakpoint(g, p, true); return;
    case 'z': handle_breakpoint(g, p, false); return;
    case 'D':
        gdb_detach(g);
        send_str(g, "OK");
        return;
    case 'k':
        kill_target(g); /* no reply (GDB closes the connection unless extended) */
        return;
    case 'R':
        if (attached(g)) {
            remove_all_sw(g);
            forget_target_state(g);
            cortexm_reset(core(g), true);
        }
        return;
    case 'H': case 'T': send_str(g, "OK"); return;
    case 'v': handle_v(g, p, length); return;
    case 'q': case 'Q': handle_query(g, p, length); return;
    default: send_str(g, ""); return;
    }
}

void gdb_server_init(gdb_server *g, probe_session *probe, gdb_output_fn output, void *ctx)
{
    /* Not a struct assignment: the buffers are large, and the firmware's stack is not. */
    uint8_t *bytes = (uint8_t *)g;
    for (size_t i = 0; i < sizeof *g; i++) bytes[i] = 0;
    g->probe = probe;
    g->output = output;
    g->output_ctx = ctx;
    g->halt_timeout_ms = 2000;
    rsp_parser_init(&g->parser, g->in, GDB_PACKET_SIZE + 8);
}

void gdb_server_input(gdb_server *g, const uint8_t *data, size_t length)
{
    static const uint8_t ack = '+', nak = '-';
    for (size_t i = 0; i < length; i++) {
        switch (rsp_parser_feed(&g->parser, data[i])) {
        case RSP_EVENT_PACKET:
            /* GDB opens every connection with qSupported, and acknowledges until it has asked
             * for no-ack mode. Over a UART the firmware cannot see a client leave, so this is
             * how it learns that a new one came: acknowledgements are back on. */
            if (g->parser.len >= 10 && starts((const char *)g->parser.buf, "qSupported")) g->noack = false;
            if (!g->noack) g->output(g->output_ctx, &ack, 1);
            handle_packet(g, (char *)g->parser.buf, g->parser.len);
            break;
        case RSP_EVENT_BAD_CHECKSUM:
            if (!g->noack) g->output(g->output_ctx, &nak, 1);
            break;
        case RSP_EVENT_OVERFLOW:
            /* Received intact but longer than the PacketSize we offered: a NAK would make the
             * client resend it forever, and silence (no-ack mode) would leave it waiting. */
            if (!g->noack) g->output(g->output_ctx, &ack, 1);
            g->reply_length = 0;
            gdb_reply_str(g, "E.packet of 0x");
            reply_hex_number(g, (uint32_t)g->parser.total, 0);
            gdb_reply_str(g, " bytes is longer than the PacketSize of 0x");
            reply_hex_number(g, GDB_PACKET_SIZE, 0);
            gdb_send_reply(g);
            break;
        case RSP_EVENT_NAK:
            if (!g->noack && g->last_length) g->output(g->output_ctx, g->last, g->last_length);
            break;
        case RSP_EVENT_INTERRUPT:
            if (g->run == GDB_RUNNING && attached(g)) {
                g->interrupted = true;
                if (cortexm_halt(core(g)) != 0) send_stop(g, SIGINT, 0, 0);
                else report_halt(g);
            }
            break;
        default: break;
        }
    }
}

void gdb_server_monitor_reply(gdb_server *g, uint32_t seq, const char *output, size_t length, bool ok)
{
    if (!g->monitor_parked || seq != g->monitor_seq) return;
    g->monitor_parked = false;
    gdb_console_bytes(g, output, length);
    send_str(g, ok ? "OK" : "E01");
}

const char *gdb_server_monitor_request(const gdb_server *g, uint32_t *seq)
{
    if (!g->monitor_parked) return 0;
    if (seq) *seq = g->monitor_seq;
    return g->monitor_request;
}

bool gdb_server_set_cmdline(gdb_server *g, const char *cmdline, size_t length)
{
    if (length >= sizeof g->cmdline) return false;
    for (size_t i = 0; i < length; i++) g->cmdline[i] = cmdline[i];
    g->cmdline[length] = 0;
    return true;
}

void gdb_server_set_heapinfo(gdb_server *g, const uint32_t info[4])
{
    for (unsigned i = 0; i < 4; i++) g->heapinfo[i] = info[i];
}

void gdb_server_disconnect(gdb_server *g)
{
    g->monitor_parked = false; /* nobody waits for its reply any more */
    gdb_detach(g);
    g->noack = false;
    g->extended = false;
    g->last_length = 0;
    rsp_parser_init(&g->parser, g->in, GDB_PACKET_SIZE + 8);
}
