/* Arm semihosting (Arm "Semihosting for AArch32 and AArch64", v2) served through GDB's File-I/O
 * protocol (GDB manual, "File-I/O Remote Protocol Extension"): the core halts on BKPT 0xAB with
 * the operation in r0 and its parameter block at r1; file operations become F requests that GDB
 * performs on the host; the result goes back in r0 and the core runs on past the BKPT. */
#include "gdb/gdb_server.h"

#include "common/bytes.h"
#include "gdb/hex.h"

enum {
    SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITEC = 0x03, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05,
    SYS_READ = 0x06, SYS_READC = 0x07, SYS_ISTTY = 0x09, SYS_SEEK = 0x0A, SYS_FLEN = 0x0C,
    SYS_REMOVE = 0x0E, SYS_RENAME = 0x0F, SYS_CLOCK = 0x10, SYS_TIME = 0x11, SYS_ERRNO = 0x13,
    SYS_GET_CMDLINE = 0x15, SYS_HEAPINFO = 0x16, SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

/* GDB File-I/O open flags */
#define FIO_RDONLY 0x0
#define FIO_WRONLY 0x1
#define FIO_RDWR 0x2
#define FIO_APPEND 0x8
#define FIO_CREAT 0x200
#define FIO_TRUNC 0x400

/* The parameter block: up to four words in one read. */
static bmp_status read_words(gdb_server *g, uint32_t addr, uint32_t *words, unsigned count)
{
    uint8_t b[16];
    bmp_status s = adiv5_mem_read(&g->probe->dp, g->probe->core.apsel, addr, b, 4 * count);
    for (unsigned i = 0; s == BMP_OK && i < count; i++) words[i] = get_le32(b + 4 * i);
    return s;
}

/* Sets r0, moves past the BKPT and lets the core run on. */
static void finish(gdb_server *g, uint32_t r0)
{
    uint32_t pc = 0;
    g->semihost_op = 0;
    cortexm *c = &g->probe->core;
    gdb_forget_halt_state(g); /* r0 and the PC change */
    if (cortexm_write_register(c, 0, r0) != 0 || cortexm_read_register(c, 15, &pc) != 0 ||
        cortexm_write_register(c, 15, pc + 2) != 0) {
        gdb_report_stop(g, 11);
        return;
    }
    gdb_resume(g);
}

/* Builds "F<name>,<hex>,<hex>..." with `count` arguments; an argument with a length (pointer/len
 * pairs for strings) uses the "ptr/len" form when `pair` has its bit set. */
static void request(gdb_server *g, const char *name, const uint32_t *args, unsigned count, unsigned pair)
{
    g->run = GDB_IDLE; /* halted, waiting for GDB's F reply */
    g->reply_length = 0;
    gdb_reply_str(g, "F");
    gdb_reply_str(g, name);
    for (unsigned i = 0; i < count; i++) {
        gdb_reply_str(g, i && ((pair >> (i - 1)) & 1) ? "/" : ",");
        char s[9];
        hex_format_u32(args[i], 0, s);
        gdb_reply_str(g, s);
    }
    gdb_send_reply(g);
}

static uint32_t handle_fd(uint32_t handle)
{
    return handle - 1; /* semihosting handles are nonzero: GDB's fd + 1 */
}

bool gdb_semihosting_start(gdb_server *g)
{
    cortexm *c = &g->probe->core;
    uint32_t op = 0, param = 0, a[4] = {0, 0, 0, 0}, sp = 0;
    if (cortexm_read_register(c, 0, &op) != 0 || cortexm_read_register(c, 1, &param) != 0) return false;
    g->semihost_op = op;
    g->semihost_stage = 0;
    switch (op) {
    case SYS_OPEN: {
        if (read_words(g, param, a, 3) != 0) break;
        char name[4] = {0};
        if (a[2] == 3) adiv5_mem_read(&g->probe->dp, c->apsel, a[0], (uint8_t *)name, 3);
        if (name[0] == ':' && name[1] == 't' && name[2] == 't') { /* the console */
            finish(g, a[1] < 4 ? 1 : a[1] < 8 ? 2 : 3);
            return true;
        }
        static const uint32_t flags[12] = {
            FIO_RDONLY, FIO_RDONLY, FIO_RDWR, FIO_RDWR,
            FIO_WRONLY | FIO_CREAT | FIO_TRUNC, FIO_WRONLY | FIO_CREAT | FIO_TRUNC,
            FIO_RDWR | FIO_CREAT | FIO_TRUNC, FIO_RDWR | FIO_CREAT | FIO_TRUNC,
            FIO_WRONLY | FIO_CREAT | FIO_APPEND, FIO_WRONLY | FIO_CREAT | FIO_APPEND,
            FIO_RDWR | FIO_CREAT | FIO_APPEND, FIO_RDWR | FIO_CREAT | FIO_APPEND};
        uint32_t args[4] = {a[0], a[2] + 1, flags[a[1] % 12], 0644};
        request(g, "open", args, 4, 1u);
        return true;
    }
    case SYS_CLOSE:
        if (read_words(g, param, a, 1) != 0) break;
        if (a[0] <= 3) { /* the console handles stay open */
            finish(g, 0);
            return true;
        }
        a[0] = handle_fd(a[0]);
        request(g, "close", a, 1, 0);
        return true;
    case SYS_WRITEC: {
        uint32_t args[3] = {1, param, 1};
        request(g, "write", args, 3, 0);
        return true;
    }
    case SYS_WRITE0: {
        uint8_t chunk[64];
        uint32_t length = 0;
        bool end = false;
        while (!end && length < 4096) {
            if (adiv5_mem_read(&g->probe->dp, c->apsel, param + length, chunk, sizeof chunk) != 0) break;
            for (unsigned i = 0; i < sizeof chunk && !end; i++) end = chunk[i] == 0, length += !end;
        }
        uint32_t args[3] = {1, param, length};
        request(g, "write", args, 3, 0);
        return true;
    }
    case SYS_WRITE:
    case SYS_READ:
        if (read_words(g, param, a, 3) != 0) break;
        g->semihost_args[0] = a[2]; /* the result is what was NOT transferred */
        a[0] = handle_fd(a[0]);
        request(g, op == SYS_WRITE ? "write" : "read", a, 3, 0);
        return true;
    case SYS_READC:
        /* One byte read into free stack space below SP, then picked up by the reply. */
        if (cortexm_read_register(c, 13, &sp) != 0) break;
        g->semihost_args[0] = sp - 8;
        a[0] = 0, a[1] = sp - 8, a[2] = 1;
        request(g, "read", a, 3, 0);
        return true;
    case SYS_ISTTY:
        if (read_words(g, param, a, 1) != 0) break;
        a[0] = handle_fd(a[0]);
        request(g, "isatty", a, 1, 0);
        return true;
    case SYS_SEEK:
        if (read_words(g, param, a, 2) != 0) break;
        a[0] = handle_fd(a[0]);
        a[2] = 0; /* SEEK_SET */
        request(g, "lseek", a, 3, 0);
        return true;
    case SYS_FLEN:
        /* lseek to the end for the size, then back to where the file was: three requests. */
        if (read_words(g, param, a, 1) != 0) break;
        g->semihost_args[0] = handle_fd(a[0]);
        a[0] = g->semihost_args[0], a[1] = 0, a[2] = 1; /* SEEK_CUR: where it is */
        request(g, "lseek", a, 3, 0);
        return true;
    case SYS_REMOVE:
        if (read_words(g, param, a, 2) != 0) break;
        a[1] += 1;
        request(g, "unlink", a, 2, 1u);
        return true;
    case SYS_RENAME:
        if (read_words(g, param, a, 4) != 0) break;
        a[1] += 1, a[3] += 1;
        request(g, "rename", a, 4, 1u | 4u);
        return true;
    case SYS_CLOCK:
    case SYS_TIME:
        /* gettimeofday into free stack space below SP: struct timeval is 12 bytes, big-endian. */
        if (cortexm_read_register(c, 13, &sp) != 0) break;
        g->semihost_args[0] = sp - 16;
        a[0] = sp - 16, a[1] = 0;
        request(g, "gettimeofday", a, 2, 0);
        return true;
    case SYS_ERRNO: finish(g, g->semihost_errno); return true;
    case SYS_GET_CMDLINE: {
        /* The command line the embedding set (empty unless it did), NUL-terminated, if the
         * program's buffer (a[0], a[1] bytes) holds it; its length goes back in the block. */
        if (read_words(g, param, a, 2) != 0) break;
        uint32_t n = 0;
        while (g->cmdline[n]) n++;
        if (a[1] < n + 1) {
            finish(g, 0xFFFFFFFFu);
            return true;
        }
        cortexm_write32(c, param + 4, n);
        adiv5_mem_write(&g->probe->dp, c->apsel, a[0], (const uint8_t *)g->cmdline, n + 1);
        finish(g, 0);
        return true;
    }
    case SYS_HEAPINFO:
        /* As the embedding set them; zeros (the default) make the C library use its
         * linker-script symbols. */
        if (read_words(g, param, a, 1) != 0) break;
        for (unsigned i = 0; i < 4; i++) cortexm_write32(c, a[0] + 4 * i, g->heapinfo[i]);
        finish(g, 0);
        return true;
    case SYS_EXIT:
    case SYS_EXIT_EXTENDED: {
        uint32_t code = 0;
        if (op == SYS_EXIT_EXTENDED || param > 0xFFFFu) {
            /* AArch32 SYS_EXIT passes the reason in r1 directly; EXIT_EXTENDED a block. */
            if (op == SYS_EXIT_EXTENDED && read_words(g, param, a, 2) == 0) code = a[0] == ADP_STOPPED_APPLICATION_EXIT ? a[1] : 1;
            else code = param == ADP_STOPPED_APPLICATION_EXIT ? 0 : 1;
        } else {
            code = 1;
        }
        g->semihost_op = 0;
        g->run = GDB_IDLE;
        g->reply_length = 0;
        gdb_reply_str(g, "W");
        char s[9];
        hex_format_u32(code & 0xFF, 2, s);
        gdb_reply_str(g, s);
        gdb_send_reply(g);
        return true;
    }
    default:
        break;
    }
    g->semihost_op = 0;
    return false;
}

static bool parse_signed_hex(const char **p, int32_t *out)
{
    bool negative = **p == '-';
    if (negative) (*p)++;
    uint32_t v = 0;
    if (!hex_parse_u32(p, &v)) return false;
    if (v > 0x7FFFFFFFu) v = 0x7FFFFFFFu; /* GDB never sends more; clamp rather than overflow */
    *out = negative ? -(int32_t)v : (int32_t)v;
    return true;
}

void gdb_semihosting_reply(gdb_server *g, const char *answer)
{
    int32_t result = -1, err = 0;
    const char *p = answer;
    if (!parse_signed_hex(&p, &result)) result = -1;
    if (*p == ',') {
        p++;
        parse_signed_hex(&p, &err);
    }
    bool ctrl_c = *p == ',' && p[1] == 'C';
    if (result < 0) g->semihost_errno = (uint32_t)err;
    uint32_t op = g->semihost_op, r0 = (uint32_t)result;
    cortexm *c = &g->probe->core;
    switch (op) {
    case SYS_OPEN: r0 = result < 0 ? 0xFFFFFFFFu : (uint32_t)result + 1; break;
    case SYS_WRITEC: case SYS_WRITE0: r0 = 0; break;
    case SYS_WRITE: case SYS_READ: r0 = result < 0 ? g->semihost_args[0] : g->semihost_args[0] - (uint32_t)result; break;
    case SYS_READC: {
        uint8_t b = 0;
        r0 = result == 1 && adiv5_mem_read(&g->probe->dp, c->apsel, g->semihost_args[0], &b, 1) == 0 ? b : 0xFFFFFFFFu;
        break;
    }
    case SYS_SEEK: r0 = result < 0 ? 0xFFFFFFFFu : 0; break;
    case SYS_FLEN: {
        uint32_t a[3] = {g->semihost_args[0], 0, 0};
        if (result < 0) break;
        if (g->semihost_stage == 0) { /* got the position; now the end */
            g->semihost_args[1] = (uint32_t)result;
            g->semihost_stage = 1;
            a[2] = 2; /* SEEK_END */
            request(g, "lseek", a, 3, 0);
            return;
        }
        if (g->semihost_stage == 1) { /* got the size; go back */
            g->semihost_args[2] = (uint32_t)result;
            g->semihost_stage = 2;
            a[1] = g->semihost_args[1];
            request(g, "lseek", a, 3, 0);
            return;
        }
        r0 = g->semihost_args[2];
        break;
    }
    case SYS_CLOCK:
    case SYS_TIME: {
        uint8_t tv[12];
        if (result != BMP_OK || adiv5_mem_read(&g->probe->dp, c->apsel, g->semihost_args[0], tv, 12) != 0) {
            r0 = 0xFFFFFFFFu;
            break;
        }
        uint32_t sec = get_be32(tv), usec = get_be32(tv + 8);
        /* SYS_CLOCK: centiseconds (modulo 2^32 from an arbitrary origin); SYS_TIME: seconds. */
        r0 = op == SYS_TIME ? sec : sec * 100u + usec / 10000u;
        break;
    }
    default: break;
    }
    if (ctrl_c) {
        g->semihost_op = 0;
        gdb_report_stop(g, 2);
        return;
    }
    finish(g, r0);
}
