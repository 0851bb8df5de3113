/* GDB's flash packets (GDB manual, "vFlashErase", "vFlashWrite", "vFlashDone"): GDB erases the
 * blocks its sections touch, streams the data in address order, and ends with vFlashDone. Data
 * is programmed as it arrives, in whole program units (the tail short of a unit waits for the
 * next contiguous write, or for vFlashDone, padded with 0xFF), and read back to verify. */
#include "gdb/gdb_server.h"
#include "gdb/hex.h"
#include "flash/flash.h"

static void reply_status(gdb_server *g, bmp_status s)
{
    if (s == BMP_OK) {
        gdb_reply_str(g, "OK");
    } else {
        const char *why = bmp_status_message(s);
        gdb_reply_str(g, "E.");
        gdb_reply_str(g, why ? why : "flash programming failed");
    }
    gdb_send_reply(g);
}

/* Whether `addr` lies in a range GDB asked to erase that has not been erased yet. */
static bool unerased(const gdb_server *g, uint32_t addr)
{
    for (unsigned i = 0; i < g->flash_unerased_count; i++)
        if (addr >= g->flash_unerased[i].start && addr < g->flash_unerased[i].end) return true;
    return false;
}

/* Takes [start, end) out of the remembered ranges (a range may split in two). */
static void mark_erased(gdb_server *g, uint32_t start, uint32_t end)
{
    unsigned n = g->flash_unerased_count;
    for (unsigned i = 0; i < n; i++) {
        uint32_t s = g->flash_unerased[i].start, e = g->flash_unerased[i].end;
        if (end <= s || start >= e) continue;
        if (start > s && end < e && g->flash_unerased_count < 16) { /* split */
            g->flash_unerased[g->flash_unerased_count].start = end;
            g->flash_unerased[g->flash_unerased_count++].end = e;
            g->flash_unerased[i].end = start;
        } else if (start > s) {
            g->flash_unerased[i].end = start;
        } else {
            g->flash_unerased[i].start = end < e ? end : e;
        }
    }
}

/* Erases the remembered blocks that [addr, addr+length) touches, before it is programmed. */
static bmp_status erase_for(gdb_server *g, uint32_t addr, size_t length)
{
    uint32_t at = addr, end = addr + (uint32_t)length;
    while (at < end) {
        uint32_t start = 0, span = 0;
        if (!flash_block_span(g->probe, at, 1, &start, &span)) return BMP_ERR_FLASH_OUTSIDE;
        if (unerased(g, start)) {
            bmp_status s = flash_erase(g->probe, start, span);
            if (s != BMP_OK) return s;
            mark_erased(g, start, start + span);
        }
        at = start + span;
    }
    return BMP_OK;
}

static bmp_status program(gdb_server *g, uint32_t addr, const uint8_t *data, size_t length)
{
    bmp_status e = erase_for(g, addr, length);
    if (e != BMP_OK) return e;
    flash_ram ram = {0, 0};
    flash_default_ram(g->probe, &ram); /* the fast path where RAM is known; else direct writes */
    bmp_status s = flash_program(g->probe, addr, data, length, &ram, 0, 0);
    if (s == BMP_OK) s = flash_verify(g->probe, addr, data, length);
    return s;
}

/* Programs what is pending, padded to a unit with 0xFF. */
static bmp_status flush_pending(gdb_server *g)
{
    if (g->flash_pending_length == 0) return BMP_OK;
    uint32_t unit = flash_unit(g->probe);
    uint8_t padded[32];
    for (uint32_t i = 0; i < unit; i++) padded[i] = i < g->flash_pending_length ? g->flash_pending[i] : 0xFF;
    g->flash_pending_length = 0;
    return program(g, g->flash_pending_addr, padded, unit);
}

void gdb_server_set_flash_buffer(gdb_server *g, uint8_t *buffer, size_t capacity)
{
    flash_image_init(&g->image, 0, buffer, capacity, g->image_extents, sizeof g->image_extents / sizeof g->image_extents[0]);
}

/* Collects a write in the image buffer; false if it does not fit (then it is written at once). */
static bool collect(gdb_server *g, uint32_t addr, const uint8_t *data, size_t length)
{
    if (!g->image.buffer || !g->probe->part_known) return false;
    if (g->image.count == 0) g->image.origin = flash_image_origin(g->probe); /* the buffer mirrors flash */
    return flash_image_add(&g->image, addr, data, length);
}

static void write_packet(gdb_server *g, char *p, size_t length)
{
    const char *q = p + 12; /* "vFlashWrite:" */
    uint32_t addr = 0;
    if (!hex_parse_u32(&q, &addr) || *q != ':') {
        gdb_reply_str(g, "E.malformed vFlashWrite");
        gdb_send_reply(g);
        return;
    }
    q++;
    size_t at = (size_t)(q - p);
    size_t n = rsp_unescape((uint8_t *)p + at, length - at);
    const uint8_t *data = (const uint8_t *)p + at;
    if (n == (size_t)-1 || !flash_contains(g->probe, addr, (uint32_t)(n ? n : 1))) {
        reply_status(g, n == (size_t)-1 ? BMP_ERR_FLASH_SEQUENCE : BMP_ERR_FLASH_OUTSIDE);
        return;
    }
    if (g->flash_pending_length == 0 && collect(g, addr, data, n)) {
        reply_status(g, 0);
        return;
    }
    uint32_t unit = flash_unit(g->probe);
    bmp_status s = BMP_OK;
    /* Join the pending tail when this write continues it; else program the tail first. */
    if (g->flash_pending_length && addr != g->flash_pending_addr + g->flash_pending_length) s = flush_pending(g);
    uint8_t *buf = g->scratch;
    size_t used = 0;
    uint32_t start = addr;
    if (s == BMP_OK && g->flash_pending_length) {
        start = g->flash_pending_addr;
        for (uint32_t i = 0; i < g->flash_pending_length; i++) buf[used++] = g->flash_pending[i];
        g->flash_pending_length = 0;
    }
    if (s == BMP_OK && start % unit) { /* a section starting inside a unit: erased bytes before it */
        uint32_t lead = start % unit;
        for (size_t i = used; i-- > 0;) buf[i + lead] = buf[i];
        for (uint32_t i = 0; i < lead; i++) buf[i] = 0xFF;
        used += lead;
        start -= lead;
    }
    for (size_t i = 0; s == BMP_OK && i < n && used < sizeof g->scratch; i++) buf[used++] = data[i];
    size_t whole = used / unit * unit;
    if (s == BMP_OK && whole) s = program(g, start, buf, whole);
    if (s == BMP_OK && used > whole) {
        g->flash_pending_addr = start + (uint32_t)whole;
        g->flash_pending_length = (uint32_t)(used - whole);
        for (uint32_t i = 0; i < g->flash_pending_length; i++) g->flash_pending[i] = buf[whole + i];
    }
    reply_status(g, s);
}

static bool has_prefix(const char *p, size_t length, const char *prefix)
{
    size_t n = 0;
    while (prefix[n]) n++;
    if (length < n) return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] != prefix[i]) return false;
    return true;
}

void gdb_flash_packet(gdb_server *g, char *p, size_t length)
{
    g->reply_length = 0;
    gdb_forget_halt_state(g);
    bool erase = has_prefix(p, length, "vFlashErase:"), write = has_prefix(p, length, "vFlashWrite:"),
         done = length == 10 && has_prefix(p, length, "vFlashDone");
    if (!erase && !write && !done) {
        gdb_send_reply(g); /* empty: not a packet we know */
        return;
    }
    if (g->probe->attached < 0) {
        gdb_reply_str(g, "E.not attached to a target");
        gdb_send_reply(g);
        return;
    }
    if (erase) { /* vFlashErase:addr,length */
        const char *q = p + 12;
        uint32_t addr = 0, n = 0;
        if (!hex_parse_u32(&q, &addr) || *q++ != ',' || !hex_parse_u32(&q, &n) || *q) {
            gdb_reply_str(g, "E.malformed vFlashErase");
            gdb_send_reply(g);
            return;
        }
        g->flash_pending_length = 0;
        if (!flash_contains(g->probe, addr, n)) {
            reply_status(g, BMP_ERR_FLASH_OUTSIDE);
        } else if (g->flash_unerased_count < 16) {
            g->flash_unerased[g->flash_unerased_count].start = addr;
            g->flash_unerased[g->flash_unerased_count++].end = addr + n;
            reply_status(g, 0);
        } else {
            reply_status(g, flash_erase(g->probe, addr, n)); /* too many ranges: erase it now */
        }
    } else if (write) {
        write_packet(g, p, length);
    } else {
        bmp_status s = flush_pending(g);
        flash_ram ram = {0, 0};
        flash_default_ram(g->probe, &ram);
        /* The collected image: erased, programmed in long runs, verified (flash_image.h). */
        if (s == BMP_OK && g->image.count) s = flash_image_write(g->probe, &g->image, &ram, true, 0, 0);
        else flash_image_clear(&g->image); /* an error came first: nothing more is written */
        g->flash_unerased_count = 0; /* blocks nothing was written into stay as they were */
        reply_status(g, s);
    }
}
