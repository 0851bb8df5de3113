/* The bootloader's decision at reset: start the application, or stay in DFU mode. And the
 * application image's trailer, which the decision checks.
 *
 * The trailer: the last 16 bytes of every application image this project builds (the linker
 * places them, firmware/board/sections.ld; scripts/firmware-images.mjs fills in the CRC), four
 * little-endian words:
 *
 *   +0  magic      DFU_TRAILER_MAGIC, the bytes "BMPT"
 *   +4  length     the image's length before the trailer (= the trailer's offset), a multiple of 4
 *   +8  board tag  dfu_board_tag(board name): the image is for this board
 *   +12 CRC        crc32_gdb (flash/crc32.h: polynomial 0x04C11DB7, MSB first, preset to ones,
 *                  no final inversion: what the STM32 CRC unit computes by default) over the
 *                  image's first `length` bytes and the trailer's first 12
 *
 * The trailer is found through the vector table: its word 7 (offset 0x1C, reserved by
 * Armv7-M and never read by the core) holds the trailer's offset as well.
 *
 * The decision, in this order:
 *   1. the boot-request word (firmware/board/boot_request.h) is BOOT_REQUEST_DFU: stay;
 *   2. the DFU button is held: stay;
 *   3. the vector table: the initial stack pointer is word aligned and inside the
 *      application's RAM (its top included), the reset vector has the Thumb bit and points into
 *      the image: else stay;
 *   4. the trailer: found, its magic, length and board tag right, its CRC matching: else stay;
 *   5. start the application. */
#ifndef DFU_BOOT_H
#define DFU_BOOT_H

#include <stdbool.h>
#include <stdint.h>

/* The boot-request word: an application that wants DFU mode writes it at its board's
 * ram.bootRequest address (boards/<name>.json) and resets; the bootloader clears it. */
#define DFU_BOOT_REQUEST 0xDF00B007u

#define DFU_TRAILER_MAGIC 0x54504D42u /* "BMPT" in memory order */
#define DFU_TRAILER_SIZE 16u
#define DFU_TRAILER_VECTOR 7u         /* the vector table word holding the trailer's offset */

typedef struct dfu_trailer {
    uint32_t magic, length, board_tag, crc;
} dfu_trailer;

typedef enum {
    DFU_BOOT_APPLICATION,      /* start it */
    DFU_BOOT_STAY_REQUESTED,   /* the application asked for DFU mode (boot-request word) */
    DFU_BOOT_STAY_BUTTON,      /* the DFU button is held */
    DFU_BOOT_STAY_NO_STACK,    /* the initial stack pointer is not in the application's RAM */
    DFU_BOOT_STAY_NO_RESET,    /* the reset vector is not Thumb code inside the image */
    DFU_BOOT_STAY_NO_TRAILER,  /* no trailer where vector 7 points, or a malformed one */
    DFU_BOOT_STAY_OTHER_BOARD, /* the trailer names another board */
    DFU_BOOT_STAY_BAD_CRC,     /* the image does not match its CRC (incomplete or damaged) */
} dfu_boot_decision;

typedef struct dfu_boot_inputs {
    const uint8_t *app;          /* the application region as the CPU reads it */
    uint32_t app_base, app_size; /* its address and size */
    uint32_t ram_base, ram_size; /* the application's RAM */
    uint32_t board_tag;          /* this board's dfu_board_tag */
    uint32_t request;            /* the boot-request word as found at reset */
    bool button;                 /* the DFU button is held */
} dfu_boot_inputs;

dfu_boot_decision dfu_boot_decide(const dfu_boot_inputs *in);

/* Reads and checks the trailer of the image at the start of `app` (`app_size` bytes): found
 * through vector 7, inside the region, magic and length right. The CRC is not checked here. */
bool dfu_trailer_read(const uint8_t *app, uint32_t app_size, dfu_trailer *trailer);

/* The CRC the trailer of the image at `app` must carry (over `length` bytes and the trailer's
 * first 12). */
uint32_t dfu_trailer_crc(const uint8_t *app, const dfu_trailer *trailer);

/* A board's tag: crc32_gdb over its name (boards/<name>.json "name", ASCII). */
uint32_t dfu_board_tag(const char *name);

/* "application", "stay: boot request", ... for messages and tests. */
const char *dfu_boot_decision_name(dfu_boot_decision decision);

#endif
