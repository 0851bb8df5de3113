/* The fast flash path: a small routine (flash_loader/loader.c, built into flash_loader_blob.c)
 * runs on the target from RAM and programs flash from a ring of buffers, while the debugger
 * streams the next buffers into RAM through the MEM-AP: the transfer and the programming
 * overlap. Portable C: no heap, no stdio.
 *
 * RAM layout inside [ram_base, ram_base + ram_size):
 *   ram_base (4-aligned)  the routine (flash_loader_blob_size bytes)
 *   next 16-aligned       the control block (FLASH_LOADER_CB_SIZE bytes; fields below)
 *   + 0x40                count × size bytes of buffers
 *   top (8-aligned)       the stack (FLASH_LOADER_STACK bytes reserved below the top)
 */
#ifndef FLASH_LOADER_H
#define FLASH_LOADER_H

#include "cortexm/cortexm.h"

/* Control-block offsets (words written by the host unless noted). */
#define FLASH_LOADER_CB_WRITE_INDEX 0x00u /* buffers filled so far; buffer i is in slot i % count */
#define FLASH_LOADER_CB_DONE 0x04u        /* nonzero: no buffer beyond write_index will come */
#define FLASH_LOADER_CB_READ_INDEX 0x08u  /* loader: buffers programmed so far */
#define FLASH_LOADER_CB_STATE 0x0Cu       /* loader: 0 running, 1 finished, 2 flash error */
#define FLASH_LOADER_CB_STATUS 0x10u      /* loader: SR as read when an error bit was set */
#define FLASH_LOADER_CB_DEST 0x14u        /* loader: next flash address (at an error: the failing one) */
#define FLASH_LOADER_CB_REMAINING 0x18u   /* bytes still to program (the loader decrements) */
#define FLASH_LOADER_CB_COUNT 0x1Cu
#define FLASH_LOADER_CB_SIZE_OF_BUFFER 0x20u
#define FLASH_LOADER_CB_SR_ADDR 0x24u
#define FLASH_LOADER_CB_BUSY_MASK 0x28u
#define FLASH_LOADER_CB_ERROR_MASK 0x2Cu
#define FLASH_LOADER_CB_UNIT 0x30u
#define FLASH_LOADER_CB_CR_ADDR 0x34u     /* the flash CR, for the erases the loader makes */
#define FLASH_LOADER_CB_PG_CR 0x38u       /* CR for programming, restored after each erase */
#define FLASH_LOADER_CB_ERASE_TABLE 0x3Cu /* 0, or the erase entries (flash_loader_erase) */
#define FLASH_LOADER_CB_CRC_ON 0x40u      /* nonzero: the loader keeps CB_CRC */
#define FLASH_LOADER_CB_CRC 0x44u         /* loader: CRC-32 of the data received (units read back are compared) */
#define FLASH_LOADER_CB_BUSY_XOR 0x48u    /* SR is XORed with this before busy_mask tests it */
#define FLASH_LOADER_CB_SIZE 0x50u        /* the buffers follow */

#define FLASH_LOADER_STATE_RUNNING 0u
#define FLASH_LOADER_STATE_FINISHED 1u
#define FLASH_LOADER_STATE_FLASH_ERROR 2u
#define FLASH_LOADER_STATE_VERIFY_FAILED 3u

#define FLASH_LOADER_STACK 256u               /* bytes reserved for the routine's stack */
#define FLASH_LOADER_DEFAULT_BUFFER 4096u
#define FLASH_LOADER_MAX_BUFFERS 32u
#define FLASH_LOADER_DEFAULT_IDLE_POLLS 100000u
/* How many probe-side waits for the next buffer (each DP_LINK_MATCH_RETRIES reads: about 11 ms
 * at 4 MHz, 4.6 ms at 10 MHz) may run out with no progress before the routine counts as stuck:
 * 34 s at 4 MHz, 14 s at 10 MHz, against the longest erase of a block (the F4/H7's 128 KiB
 * sectors, up to 4 s). They are counted apart from the plain polls, which each take a USB round
 * trip rather than SWD time. */
#define FLASH_LOADER_IDLE_MATCHES 3000u

extern const uint8_t flash_loader_blob[];
extern const size_t flash_loader_blob_size;
extern const size_t flash_loader_crc_offset; /* the CRC routine's entry in the blob */

/* An erase the loader makes just before it programs the first unit at or past `start`: up to
 * three register writes (address 0: none), then it waits for the controller and checks errors.
 * The host streams data while the target erases. */
typedef struct flash_loader_erase {
    uint32_t start;
    uint32_t writes[3][2];
} flash_loader_erase;
#define FLASH_LOADER_MAX_ERASES 64

typedef struct flash_loader_params {
    uint32_t ram_base, ram_size;   /* RAM the loader may use: code, control block, buffers, stack */
    uint32_t sr_addr, busy_mask, error_mask;
    uint32_t busy_xor;             /* busy_mask's bits that mean busy when clear (the nRF52's READY) */
    uint8_t unit;                  /* 2, 4, 8 or 32 */
    uint32_t buffer_size;          /* 0: choose (4 KiB, or less to fit at least two buffers) */
    uint32_t max_idle_polls;
    /* Optional erases by the loader, sorted by start (at most FLASH_LOADER_MAX_ERASES). */
    uint32_t cr_addr, pg_cr;
    const flash_loader_erase *erases;
    unsigned erase_count;       /* polls without progress before a time-out;
                                      0: FLASH_LOADER_DEFAULT_IDLE_POLLS */
} flash_loader_params;

typedef void (*flash_loader_progress)(void *ctx, size_t done, size_t total);

/* Programs `length` bytes at `dest` (unit-aligned; the caller pads) with the routine running on the
 * halted core `c`. With `crc_out`, the routine also verifies as it goes: it reads back each
 * unit after programming it and compares it with its data (BMP_ERR_VERIFY if it differs), and
 * *crc_out receives GDB's CRC-32 of the data as it arrived in the target's RAM (compare it with
 * crc32_gdb of the image): verification that costs no transfer and, computed while the flash is
 * busy, almost no time.
 * The caller has prepared the flash controller (unlocked, erased, PG/PSIZE set)
 * and restores it afterwards. Returns BMP_OK, an error of the link or the core, or
 * BMP_ERR_LOADER_FLASH with *sr_out holding the status register's error bits. The core's registers are saved and
 * restored around the run.
 * Also BMP_ERR_LOADER_TIMEOUT (no progress) and BMP_ERR_LOADER_FAULT (the routine stopped early).
 * `progress`, if not NULL, gets the bytes handed to the routine so far (no round trip to ask
 * how far it is), and the total once it has programmed them all. The core is left halted; DEMCR is
 * restored (VC_HARDERR is set while the routine runs, so that a HardFault halts it). */
bmp_status flash_loader_program(cortexm *c, const flash_loader_params *p, uint32_t dest, const uint8_t *data,
                                size_t length, uint32_t *sr_out, uint32_t *crc_out, flash_loader_progress progress,
                                void *ctx);

/* The RAM from its start that flash_loader_crc borrows at most (the routine and its stack). */
#define FLASH_LOADER_CRC_RAM 2048u

/* GDB's CRC-32 (qCRC) of [addr, addr+length) computed by the target itself, from RAM at
 * `ram_base` (the routine and a 1.1 KiB stack, within FLASH_LOADER_CRC_RAM; saved and restored,
 * as are the registers): verifying flash
 * without reading it back over a slow link. `max_waits` bounds the wait (cortexm_wait_halted). */
bmp_status flash_loader_crc(cortexm *c, uint32_t ram_base, uint32_t ram_size, uint32_t addr, uint32_t length,
                            uint32_t *crc, uint32_t max_waits);

#endif
