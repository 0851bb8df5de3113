/* The bootloader's decision at reset (native/core/dfu/dfu_boot.c) on the PC: a synthetic
 * application image for the STLINK-V3MINI's application region (vector table, code, the
 * trailer that scripts/firmware-images.mjs writes), then every reason to stay in DFU mode: the
 * boot-request word, the button, the vector table, the trailer, the board and the CRC. */
#include <string.h>

#include "check.h"
#include "dfu/dfu_boot.h"
#include "flash/crc32.h"

#define APP_BASE 0x08008000u
#define APP_SIZE (480u * 1024u)
#define RAM_BASE 0x20000000u
#define RAM_SIZE 262128u
#define IMAGE_LENGTH 0x1F30u /* the image before its trailer */

static uint8_t region[APP_SIZE];
static uint32_t board_tag;

static void put32(uint32_t offset, uint32_t value)
{
    for (unsigned i = 0; i < 4; i++) region[offset + i] = (uint8_t)(value >> (8 * i));
}

static uint32_t get32(uint32_t offset)
{
    return (uint32_t)region[offset] | (uint32_t)region[offset + 1] << 8 | (uint32_t)region[offset + 2] << 16 |
           (uint32_t)region[offset + 3] << 24;
}

/* The CRC the trailer must hold, computed bit by bit here (not by the code under test). */
static uint32_t reference_crc(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int b = 0; b < 8; b++) crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

static void seal(void)
{
    put32(IMAGE_LENGTH + 12, reference_crc(region, IMAGE_LENGTH + 12));
}

/* An image as the build makes it, in an otherwise erased region. */
static void make_image(void)
{
    board_tag = dfu_board_tag("stlink3mini");
    memset(region, 0xFF, sizeof region);
    for (uint32_t i = 0; i < IMAGE_LENGTH; i++) region[i] = (uint8_t)(i * 13u + 5u);
    put32(0, RAM_BASE + RAM_SIZE);            /* initial SP: the top of the application's RAM */
    put32(4, APP_BASE + 0x1C1u);              /* reset handler, Thumb */
    put32(DFU_TRAILER_VECTOR * 4, IMAGE_LENGTH);
    put32(IMAGE_LENGTH, DFU_TRAILER_MAGIC);
    put32(IMAGE_LENGTH + 4, IMAGE_LENGTH);
    put32(IMAGE_LENGTH + 8, board_tag);
    seal();
}

static dfu_boot_decision decide(uint32_t request, bool button)
{
    const dfu_boot_inputs in = {region, APP_BASE, APP_SIZE, RAM_BASE, RAM_SIZE, board_tag, request, button};
    return dfu_boot_decide(&in);
}

static void board_tags(void)
{
    /* crc32_gdb of the name, as gen-board.mjs computes it for the linker script */
    CHECK_EQ(dfu_board_tag("stlink3mini"), reference_crc((const uint8_t *)"stlink3mini", 11));
    CHECK_EQ(dfu_board_tag("devebox-stm32h743"), reference_crc((const uint8_t *)"devebox-stm32h743", 17));
    CHECK(dfu_board_tag("devebox-stm32h743") != dfu_board_tag("devebox-stm32h750"));
    CHECK_EQ(crc32_gdb(CRC32_GDB_INITIAL, (const uint8_t *)"123456789", 9), 0x0376E6E7u); /* CRC-32/MPEG-2 check */
}

static void valid_image_starts(void)
{
    make_image();
    CHECK_EQ(decide(0, false), DFU_BOOT_APPLICATION);
    dfu_trailer t;
    CHECK(dfu_trailer_read(region, APP_SIZE, &t));
    CHECK_EQ(t.magic, DFU_TRAILER_MAGIC);
    CHECK_EQ(t.length, IMAGE_LENGTH);
    CHECK_EQ(t.board_tag, board_tag);
    CHECK_EQ(t.crc, dfu_trailer_crc(region, &t));
    CHECK(memcmp(&region[IMAGE_LENGTH], "BMPT", 4) == 0);
    /* Any other request word than the DFU one means nothing */
    CHECK_EQ(decide(0xDF00B006u, false), DFU_BOOT_APPLICATION);
    CHECK_EQ(decide(0xFFFFFFFFu, false), DFU_BOOT_APPLICATION);
}

static void request_and_button_win(void)
{
    make_image();
    CHECK_EQ(decide(DFU_BOOT_REQUEST, false), DFU_BOOT_STAY_REQUESTED);
    CHECK_EQ(decide(0, true), DFU_BOOT_STAY_BUTTON);
    CHECK_EQ(decide(DFU_BOOT_REQUEST, true), DFU_BOOT_STAY_REQUESTED);
    memset(region, 0xFF, sizeof region); /* nothing installed: the button still says why */
    CHECK_EQ(decide(0, true), DFU_BOOT_STAY_BUTTON);
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_STACK);
}

static void vector_table(void)
{
    make_image();
    put32(0, RAM_BASE);
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_STACK); /* a full-descending stack at the bottom */
    put32(0, RAM_BASE + RAM_SIZE + 4);
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_STACK);
    put32(0, RAM_BASE + 0x1002);
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_STACK);
    put32(0, RAM_BASE + 4);
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_APPLICATION);
    make_image();
    put32(4, APP_BASE + 0x1C0u); /* no Thumb bit */
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_RESET);
    put32(4, APP_BASE + IMAGE_LENGTH + 1u); /* past the image */
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_RESET);
    put32(4, 0x08000101u); /* the bootloader's region */
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_RESET);
}

static void trailer(void)
{
    make_image();
    put32(DFU_TRAILER_VECTOR * 4, 0); /* an image built without one */
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_TRAILER);
    make_image();
    put32(DFU_TRAILER_VECTOR * 4, IMAGE_LENGTH + 4);
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_TRAILER);
    make_image();
    put32(DFU_TRAILER_VECTOR * 4, APP_SIZE - 8); /* runs past the region */
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_TRAILER);
    make_image();
    put32(DFU_TRAILER_VECTOR * 4, 0x20); /* inside the vector table */
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_TRAILER);
    make_image();
    region[IMAGE_LENGTH] ^= 1; /* magic */
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_TRAILER);
    make_image();
    put32(IMAGE_LENGTH + 4, IMAGE_LENGTH - 4);
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_TRAILER);
    make_image();
    put32(IMAGE_LENGTH + 8, dfu_board_tag("devebox-stm32h743"));
    seal();
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_OTHER_BOARD);
}

static void crc(void)
{
    make_image();
    /* every byte the CRC covers counts, the vector table and the trailer's fields too */
    static const uint32_t offsets[] = {0x8, 0x40, 0x1000, IMAGE_LENGTH - 1};
    for (unsigned i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        make_image();
        region[offsets[i]] ^= 0x10;
        CHECK_EQ(decide(0, false), DFU_BOOT_STAY_BAD_CRC);
    }
    make_image();
    put32(IMAGE_LENGTH + 12, get32(IMAGE_LENGTH + 12) ^ 0x80000000u);
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_BAD_CRC);
    /* An install cut short: the image's second half still erased */
    make_image();
    memset(&region[IMAGE_LENGTH / 2], 0xFF, IMAGE_LENGTH / 2 + DFU_TRAILER_SIZE);
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_NO_TRAILER);
    make_image();
    memset(&region[0x800], 0xFF, 0x800);
    CHECK_EQ(decide(0, false), DFU_BOOT_STAY_BAD_CRC);
    /* What is past the trailer does not count */
    make_image();
    region[IMAGE_LENGTH + 16] = 0;
    CHECK_EQ(decide(0, false), DFU_BOOT_APPLICATION);
}

static void names(void)
{
    CHECK(strcmp(dfu_boot_decision_name(DFU_BOOT_APPLICATION), "application") == 0);
    CHECK(strcmp(dfu_boot_decision_name(DFU_BOOT_STAY_BAD_CRC), "stay: CRC mismatch") == 0);
    CHECK(strcmp(dfu_boot_decision_name((dfu_boot_decision)99), "unknown") == 0);
}

int main(void)
{
    RUN(board_tags);
    RUN(valid_image_starts);
    RUN(request_and_button_win);
    RUN(vector_table);
    RUN(trailer);
    RUN(crc);
    RUN(names);
    return CHECK_SUMMARY();
}
