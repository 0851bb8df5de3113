/* The GDB server core (GDB manual, "Remote Protocol"), portable C shared with the firmware: it
 * takes the bytes GDB sends, answers through an output callback, and drives the target layer
 * (probe_session) on the session's thread. It behaves like a Black Magic Probe to GDB:
 * extended-remote, `monitor swdp_scan`, `attach N`, and the same monitor commands.
 *
 * The embedding feeds input with gdb_server_input and, while the target runs, calls
 * gdb_server_poll every few milliseconds (after letting a simulated target run). */
#ifndef GDB_SERVER_H
#define GDB_SERVER_H

#include "common/config.h"
#include "gdb/rsp_packet.h"
#include "cortexm/description.h"
#include "flash/flash_image.h"
#include "cortexm/probe_session.h"

/* The buffers, from GDB_PACKET_SIZE (common/config.h): */
#define GDB_INPUT_SIZE (GDB_PACKET_SIZE + 16u)       /* a packet as received, escapes in, and its terminator */
#define GDB_REPLY_SIZE (GDB_PACKET_SIZE + 16u)       /* a reply's payload */
#define GDB_FRAME_SIZE (2u * GDB_PACKET_SIZE + 16u)  /* the last reply framed: every byte escaped, $ # and sum */
#define GDB_SCRATCH_SIZE (GDB_PACKET_SIZE + 64u)     /* decoded data, memory read for `m` and qCRC, XML */
BMP_STATIC_ASSERT(GDB_INPUT_SIZE >= GDB_PACKET_SIZE + 8u + 1u, "the parser takes PacketSize + 8, then a terminator");
BMP_STATIC_ASSERT(GDB_FRAME_SIZE >= 2u * GDB_PACKET_SIZE + 4u, "a reply framed with every byte escaped must fit");
BMP_STATIC_ASSERT(GDB_SCRATCH_SIZE >= GDB_PACKET_SIZE / 2u + 1u, "an `m` reply's bytes and a monitor command fit");
BMP_STATIC_ASSERT(GDB_SCRATCH_SIZE >= CORTEXM_TARGET_XML_MAX && GDB_SCRATCH_SIZE >= PART_MEMORY_MAP_XML_MAX,
                  "qXfer documents are built whole in scratch");
#define GDB_MAX_SW_BREAKPOINTS 64
#define GDB_CORE_REGS 20          /* REGSEL 0-18 and 20: all but the FPU's, what a `g` reply carries */
#define GDB_WINDOWS 3             /* read-ahead windows while halted */
#define GDB_WINDOW_BYTES 120u     /* the largest window (the stack's) */
#define GDB_VERSION "bmp-gdbserver 0.1.0"
#define GDB_EXTRA_MONITORS 2          /* monitor commands an embedding may add (gdb_server_add_monitor) */
#define GDB_MONITOR_REQUEST_SIZE 256u /* a parked monitor command line, NUL included */
#define GDB_CMDLINE_SIZE 128u         /* the semihosting command line (SYS_GET_CMDLINE), NUL included */

typedef void (*gdb_output_fn)(void *ctx, const uint8_t *data, size_t length);

typedef struct gdb_sw_breakpoint {
    uint32_t addr;
    uint16_t saved;      /* the instruction the BKPT replaced */
    bool used;
} gdb_sw_breakpoint;

typedef struct gdb_watch {
    uint32_t addr, size;
    uint8_t kind;        /* 2 write, 3 read, 4 access: the Z packet type */
    bool used;
} gdb_watch;

typedef enum { GDB_IDLE, GDB_RUNNING, GDB_STEPPING } gdb_run_state;

typedef struct gdb_server {
    probe_session *probe;
    gdb_output_fn output;
    void *output_ctx;
    rsp_parser parser;
    bool noack;
    bool extended;
    gdb_run_state run;
    bool interrupted;             /* Ctrl-C while running: report SIGINT */
    bool connect_under_reset;     /* monitor connect_rst */
    bool redirect_stdout;         /* monitor redirect_stdout: semihosting output to the console */
    uint32_t halt_timeout_ms;     /* monitor halt_timeout */
    uint32_t frequency_hz;        /* monitor frequency (recorded; the link sets the clock) */
    uint32_t vector_catch;        /* DEMCR VC_* bits requested by monitor vector_catch */
    unsigned last_signal;         /* for `?` */
    gdb_sw_breakpoint sw[GDB_MAX_SW_BREAKPOINTS];
    gdb_watch watches[CORTEXM_MAX_WATCHPOINTS];
    /* semihosting: a File-I/O request in progress (0 if none) */
    uint32_t semihost_op;
    unsigned semihost_stage;      /* multi-step requests (FLEN) */
    uint32_t semihost_args[4];
    uint32_t semihost_errno;      /* for SYS_ERRNO */
    char cmdline[GDB_CMDLINE_SIZE];  /* SYS_GET_CMDLINE's answer (gdb_server_set_cmdline) */
    uint32_t heapinfo[4];         /* SYS_HEAPINFO's answer: heap base, heap limit, stack base, stack limit */
    /* Monitor commands served by the embedding (gdb_server_add_monitor): their names and help,
     * which the embedding keeps alive. Such a command is parked, not answered: the embedding
     * fetches it (gdb_server_monitor_request), runs it as it likes (a script on the PC), and
     * answers later (gdb_server_monitor_reply), as semihosting answers after GDB has served
     * a File-I/O request. GDB waits for a qRcmd reply as long as it takes. */
    struct { const char *name, *help; } extra_monitors[GDB_EXTRA_MONITORS];
    unsigned extra_monitor_count;
    bool monitor_parked;          /* a request waits for its reply */
    uint32_t monitor_seq;         /* counts parked requests, so that a late reply to an old one is dropped */
    char monitor_request[GDB_MONITOR_REQUEST_SIZE];
    /* What was read at this stop, valid while the core stays halted and nothing is written
     * (gdb_forget_halt_state): the core registers (REGSEL 0-18 and 20, in that order), and windows of
     * flash, ROM or RAM: around the PC and the stack (read with the step, in the same batch),
     * and the blocks GDB asked for. GDB re-reads the code around the PC dozens of times per stop. */
    bool regs_valid;
    uint32_t regs[GDB_CORE_REGS];
    struct gdb_window {
        uint32_t addr, length;   /* length 0: empty */
        uint8_t data[GDB_WINDOW_BYTES];
    } windows[GDB_WINDOWS];
    unsigned next_window;         /* the one a miss refills */
    /* vFlashWrite: bytes short of a whole program unit, kept for the next contiguous write */
    uint32_t flash_pending_addr;
    uint8_t flash_pending[32];
    uint32_t flash_pending_length;
    /* vFlashErase ranges not erased yet: a block is erased when data first goes into it, so
     * only what is written is erased (GDB asks for every block its sections touch). */
    struct { uint32_t start, end; } flash_unerased[16];
    unsigned flash_unerased_count;
    /* Optional, given by the embedding (the Node addon; firmware has no room): a buffer that
     * mirrors flash from its first address, so that `load` collects the whole image and writes
     * it at vFlashDone in long runs, erase and transfer overlapping on the target. */
    flash_image image;
    flash_extent image_extents[32];
    size_t last_length;           /* the last framed reply, for retransmission on '-' */
    uint8_t in[GDB_INPUT_SIZE];
    uint8_t reply[GDB_REPLY_SIZE];
    size_t reply_length;
    uint8_t last[GDB_FRAME_SIZE];
    uint8_t scratch[GDB_SCRATCH_SIZE];
} gdb_server;

void gdb_server_init(gdb_server *g, probe_session *probe, gdb_output_fn output, void *ctx);
/* Feeds bytes from GDB; replies go out through the output callback. */
void gdb_server_input(gdb_server *g, const uint8_t *data, size_t length);
/* While the target runs: checks whether it halted, and if so sends the stop reply. Returns
 * whether it is still running. */
bool gdb_server_poll(gdb_server *g);
/* The client went away: leave the target running, as Black Magic Probe does on disconnect. */
void gdb_server_disconnect(gdb_server *g);

/* Payload building for the modules of the server (gdb_monitor.c, gdb_semihosting.c). */
void gdb_reply_str(gdb_server *g, const char *s);
void gdb_reply_hex(gdb_server *g, const uint8_t *data, size_t length);
void gdb_send_reply(gdb_server *g);
/* Lets the halted core run on (semihosting, after a served call); stop replies follow by poll. */
void gdb_resume(gdb_server *g);
/* Detaches from the target: software breakpoints removed, debug off, the core left running. */
void gdb_detach(gdb_server *g);
/* Sends a plain stop reply with this signal. */
void gdb_report_stop(gdb_server *g, unsigned signal);
/* Console output: `O` packets (hex) sent at once. */
void gdb_console(gdb_server *g, const char *text);
void gdb_console_bytes(gdb_server *g, const char *text, size_t length);

/* The target may have changed (it ran, or something was written): drop the registers and
 * memory read at this stop. */
void gdb_forget_halt_state(gdb_server *g);

/* Lets `load` collect the image in `buffer` (see flash_image above). */
void gdb_server_set_flash_buffer(gdb_server *g, uint8_t *buffer, size_t capacity);

/* Flash commands (gdb_flash.c): vFlashErase, vFlashWrite, vFlashDone. */
void gdb_flash_packet(gdb_server *g, char *p, size_t length);

/* Monitor commands (gdb_monitor.c): runs `command`, printing to the console. DONE or FAILED: the
 * reply is OK or an error; PARKED: an embedding's command, answered by gdb_server_monitor_reply. */
typedef enum { GDB_MONITOR_FAILED, GDB_MONITOR_DONE, GDB_MONITOR_PARKED } gdb_monitor_result;
gdb_monitor_result gdb_monitor(gdb_server *g, const char *command);

/* Adds a monitor command that the embedding serves (`monitor help` lists it, unique prefixes
 * reach it). `name` and `help` must outlive the server. Returns false if the table is full, the
 * name is empty or has a blank, or a command already has that name. */
bool gdb_server_add_monitor(gdb_server *g, const char *name, const char *help);
/* The parked request, or NULL: the command's full name, then its arguments as typed
 * ("python 1+1" for `monitor py 1+1`); *seq identifies it for the reply. */
const char *gdb_server_monitor_request(const gdb_server *g, uint32_t *seq);
/* Answers parked request `seq`: `output` (length bytes) goes to GDB's console, then OK, or an
 * error if !ok. A reply to a request that is no longer parked (GDB went away, or asked again)
 * is dropped. */
void gdb_server_monitor_reply(gdb_server *g, uint32_t seq, const char *output, size_t length, bool ok);

/* Semihosting answers: the command line SYS_GET_CMDLINE gives the program (false if it is too
 * long: GDB_CMDLINE_SIZE less one), and the four words of SYS_HEAPINFO (zeros: the C library
 * uses its linker-script symbols). */
bool gdb_server_set_cmdline(gdb_server *g, const char *cmdline, size_t length);
void gdb_server_set_heapinfo(gdb_server *g, const uint32_t info[4]);

/* Semihosting (gdb_semihosting.c): the core halted on BKPT 0xAB; start the request. Returns
 * true if it was a semihosting call (handled, possibly by an F packet to GDB). */
bool gdb_semihosting_start(gdb_server *g);
/* GDB's answer `Fretcode[,errno][,C]` to our F request. */
void gdb_semihosting_reply(gdb_server *g, const char *answer);

#endif
