/* The DfuSe device core (native/core/dfu/dfu_device.c) and its descriptors, through the virtual
 * device (native/sim/sim_dfu.c) over a model of the STLINK-V3MINI's flash: 512 KiB at 0x08000000,
 * sectors 4 x 16 KiB, 1 x 64 KiB, 3 x 128 KiB; the bootloader in sectors 0-1, the application
 * region (the only one the device may touch) from 0x08008000. Every DFU 1.1 state and status the
 * device can reach, the DfuSe commands, the region guard and the faults. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim_dfu.h"

#define FLASH_BASE 0x08000000u
#define FLASH_SIZE (512u * 1024u)
#define APP_BASE 0x08008000u
#define APP_END (FLASH_BASE + FLASH_SIZE)
#define XFER 2048u
#define BOOT_FILL 0xB0u

static uint8_t flash[FLASH_SIZE];
static sim_dfu dev;

static const dfu_sector_group app_sectors[] = {{2, 16384, 300}, {1, 65536, 700}, {3, 131072, 1200}};

static sim_dfu_config config(uint8_t attributes)
{
    sim_dfu_config c;
    memset(&c, 0, sizeof c);
    c.desc = (dfu_desc_config){0x1D50, 0x6017, 0x0100, "bmp-gdbserver", "bmp-gdbserver DFU (test)", "0123456789AB", true};
    c.dfu = (dfu_config){"Application", APP_BASE, app_sectors, 3, XFER, 4, 26, attributes, NULL};
    c.flash_base = FLASH_BASE;
    c.flash_size = FLASH_SIZE;
    c.flash = flash;
    return c;
}

/* A fresh device: the bootloader's sectors hold a pattern, the rest is erased. */
static void start_with(uint8_t attributes)
{
    memset(flash, 0xFF, sizeof flash);
    memset(flash, BOOT_FILL, APP_BASE - FLASH_BASE);
    sim_dfu_config c = config(attributes);
    CHECK(sim_dfu_init(&dev, &c));
}

static void start(void)
{
    start_with(DFU_ATTR_CAN_DNLOAD | DFU_ATTR_CAN_UPLOAD | DFU_ATTR_WILL_DETACH);
}

static bool bootloader_intact(void)
{
    for (uint32_t i = 0; i < APP_BASE - FLASH_BASE; i++)
        if (flash[i] != BOOT_FILL) return false;
    return true;
}

static sim_dfu_result control(uint8_t type, uint8_t request, uint16_t value, uint16_t length, uint8_t *data,
                              uint16_t *got)
{
    uint8_t setup[8] = {type, request, (uint8_t)value, (uint8_t)(value >> 8), 0, 0, (uint8_t)length,
                        (uint8_t)(length >> 8)};
    uint16_t n = 0;
    sim_dfu_result r = sim_dfu_control(&dev, setup, data, &n);
    if (got) *got = n;
    return r;
}

typedef struct status {
    uint8_t status, state;
    uint32_t poll;
} status;

static status get_status(void)
{
    uint8_t b[6] = {0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE};
    uint16_t n = 0;
    status s = {0xEE, 0xEE, 0};
    if (control(0xA1, DFU_REQ_GETSTATUS, 0, 6, b, &n) != SIM_DFU_OK || n != 6) return s;
    s.status = b[0];
    s.poll = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16;
    s.state = b[4];
    return s;
}

static sim_dfu_result dnload(uint16_t block, const uint8_t *data, uint16_t length)
{
    uint8_t copy[XFER];
    if (length) memcpy(copy, data, length);
    return control(0x21, DFU_REQ_DNLOAD, block, length, copy, NULL);
}

/* A DfuSe command as dfu-util sends it: DNLOAD block 0, GETSTATUS (dfuDNBUSY), GETSTATUS. */
static status command(uint8_t code, uint32_t address, bool with_address, uint32_t *poll)
{
    uint8_t b[5] = {code, (uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16), (uint8_t)(address >> 24)};
    status bad = {0xEE, 0xEE, 0};
    if (dnload(0, b, with_address ? 5 : 1) != SIM_DFU_OK) return bad;
    status busy = get_status();
    if (poll) *poll = busy.poll;
    if (busy.state != DFU_STATE_DNBUSY || busy.status != DFU_STATUS_OK) return bad;
    return get_status();
}

static status write_block(uint16_t block, const uint8_t *data, uint16_t length, uint32_t *poll)
{
    status bad = {0xEE, 0xEE, 0};
    if (dnload(block, data, length) != SIM_DFU_OK) return bad;
    status busy = get_status();
    if (poll) *poll = busy.poll;
    if (busy.state != DFU_STATE_DNBUSY) return bad;
    return get_status();
}

static bool abort_to_idle(void)
{
    return control(0x21, DFU_REQ_ABORT, 0, 0, NULL, NULL) == SIM_DFU_OK && get_status().state == DFU_STATE_IDLE;
}

static bool all(uint32_t address, uint32_t length, uint8_t value)
{
    for (uint32_t i = 0; i < length; i++)
        if (flash[address - FLASH_BASE + i] != value) return false;
    return true;
}

static void fill(uint8_t *b, unsigned n, unsigned seed)
{
    for (unsigned i = 0; i < n; i++) b[i] = (uint8_t)(i * 7u + seed);
}

/* ---- descriptors and the layout ---- */

static void alt_string_from_the_region_table(void)
{
    char s[DFU_ALT_STRING_MAX + 1];
    sim_dfu_config c = config(0);
    CHECK(dfu_alt_string(&c.dfu, s, sizeof s) > 0);
    CHECK(strcmp(s, "@Application /0x08008000/02*016Kg,01*064Kg,03*128Kg") == 0);
    static const dfu_sector_group h7[] = {{15, 131072, 2000}};
    dfu_config h = {"Application", 0x08020000u, h7, 1, XFER, 32, 10, 0, NULL};
    CHECK(dfu_alt_string(&h, s, sizeof s) > 0);
    CHECK(strcmp(s, "@Application /0x08020000/15*128Kg") == 0);
    static const dfu_sector_group odd[] = {{3, 1000, 1}};
    dfu_config o = {"Internal Flash ", 0x20000000u, odd, 1, XFER, 4, 1, 0, NULL};
    CHECK(dfu_alt_string(&o, s, sizeof s) > 0);
    CHECK(strcmp(s, "@Internal Flash  /0x20000000/03*1000 g") == 0);
    CHECK_EQ(dfu_alt_string(&h, s, 20), 0);
    CHECK_EQ(dfu_alt_string(&h, s, 33), 0); /* no room for the NUL */
    CHECK_EQ(dfu_alt_string(&h, s, 34), 33);
}

static void configurations_refused(void)
{
    sim_dfu v;
    sim_dfu_config c = config(DFU_ATTR_CAN_DNLOAD);
    c.dfu.transfer_size = 32;
    CHECK(!sim_dfu_init(&v, &c));
    c = config(DFU_ATTR_CAN_DNLOAD);
    c.dfu.transfer_size = DFU_MAX_TRANSFER + 1;
    CHECK(!sim_dfu_init(&v, &c));
    c = config(DFU_ATTR_CAN_DNLOAD);
    c.dfu.program_unit = 3;
    CHECK(!sim_dfu_init(&v, &c));
    c = config(DFU_ATTR_CAN_DNLOAD);
    c.dfu.sector_groups = 0;
    CHECK(!sim_dfu_init(&v, &c));
    c = config(DFU_ATTR_CAN_DNLOAD);
    c.dfu.base = 0x08010000u; /* the region would run past the modelled flash */
    CHECK(!sim_dfu_init(&v, &c));
    static const dfu_sector_group wrap[] = {{2, 0x80000000u, 1}};
    c = config(DFU_ATTR_CAN_DNLOAD);
    c.dfu.sectors = wrap;
    c.dfu.sector_groups = 1;
    CHECK(!sim_dfu_init(&v, &c)); /* past 4 GiB */
}

static void descriptors(void)
{
    start();
    uint8_t b[256];
    uint16_t n = 0;
    CHECK_EQ(control(0x80, 6, 0x0100, 18, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 18);
    CHECK_EQ(b[1], 1);
    CHECK_EQ(b[4], 0); /* class in the interface */
    CHECK_EQ(b[7], 64);
    CHECK_EQ(b[8] | b[9] << 8, 0x1D50);
    CHECK_EQ(b[10] | b[11] << 8, 0x6017);
    CHECK_EQ(b[17], 1);
    CHECK_EQ(control(0x80, 6, 0x0200, 9, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 9);
    CHECK_EQ(b[2] | b[3] << 8, 27);
    CHECK_EQ(control(0x80, 6, 0x0200, 255, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 27);
    /* the interface: number 0, alternate 0, no endpoints, FE/01/02, string 4 */
    CHECK_EQ(b[9], 9);
    CHECK_EQ(b[10], 4);
    CHECK_EQ(b[11], 0);
    CHECK_EQ(b[12], 0);
    CHECK_EQ(b[13], 0);
    CHECK_EQ(b[14], 0xFE);
    CHECK_EQ(b[15], 0x01);
    CHECK_EQ(b[16], 0x02);
    CHECK_EQ(b[17], 4);
    /* the functional descriptor */
    CHECK_EQ(b[18], 9);
    CHECK_EQ(b[19], 0x21);
    CHECK_EQ(b[20], DFU_ATTR_CAN_DNLOAD | DFU_ATTR_CAN_UPLOAD | DFU_ATTR_WILL_DETACH);
    CHECK_EQ(b[21] | b[22] << 8, 255);
    CHECK_EQ(b[23] | b[24] << 8, XFER);
    CHECK_EQ(b[25] | b[26] << 8, 0x011A);
    CHECK_EQ(control(0x80, 6, 0x2100, 9, b, &n), SIM_DFU_OK); /* the functional one by itself */
    CHECK_EQ(n, 9);
    CHECK_EQ(b[7] | b[8] << 8, 0x011A);
    /* the alternate setting's string, UTF-16LE */
    CHECK_EQ(control(0x80, 6, 0x0304, 255, b, &n), SIM_DFU_OK);
    const char *alt = "@Application /0x08008000/02*016Kg,01*064Kg,03*128Kg";
    CHECK_EQ(n, 2 + 2 * strlen(alt));
    CHECK_EQ(b[0], n);
    bool same = true;
    for (size_t i = 0; i < strlen(alt); i++) same &= b[2 + 2 * i] == (uint8_t)alt[i] && b[3 + 2 * i] == 0;
    CHECK(same);
    CHECK_EQ(control(0x80, 6, 0x0300, 255, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 4);
    CHECK_EQ(b[2] | b[3] << 8, 0x0409);
    CHECK_EQ(control(0x80, 6, 0x0305, 255, b, &n), SIM_DFU_STALL);
    CHECK_EQ(control(0x80, 6, 0x0600, 10, b, &n), SIM_DFU_OK); /* high-speed capable: a qualifier */
    CHECK_EQ(n, 10);
    CHECK_EQ(control(0x80, 6, 0x0700, 255, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 27);
    CHECK_EQ(b[1], 7);
    sim_dfu_config c = config(DFU_ATTR_CAN_DNLOAD);
    c.desc.high_speed_capable = false;
    CHECK(sim_dfu_init(&dev, &c));
    CHECK_EQ(control(0x80, 6, 0x0600, 10, b, &n), SIM_DFU_STALL);
    CHECK_EQ(control(0x80, 6, 0x0700, 255, b, &n), SIM_DFU_STALL);
}

/* ---- states and commands ---- */

static void idle_status_and_state(void)
{
    start();
    status s = get_status();
    CHECK_EQ(s.state, DFU_STATE_IDLE);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(s.poll, 0);
    uint8_t b[1];
    uint16_t n = 0;
    CHECK_EQ(control(0xA1, DFU_REQ_GETSTATE, 0, 1, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(b[0], DFU_STATE_IDLE);
    CHECK(abort_to_idle());
    uint8_t six[6];
    CHECK_EQ(control(0xA1, DFU_REQ_GETSTATUS, 0, 5, six, NULL), SIM_DFU_STALL); /* too short for it */
    CHECK_EQ(get_status().status, DFU_STATUS_ERR_STALLEDPKT);
    CHECK_EQ(dev.device.state, DFU_STATE_ERROR);
}

static void set_address_pointer(void)
{
    start();
    uint32_t poll = 99;
    status s = command(DFUSE_CMD_SET_ADDRESS, 0x08020000u, true, &poll);
    CHECK_EQ(poll, 0);
    CHECK_EQ(s.state, DFU_STATE_DNLOAD_IDLE);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(dev.device.pointer, 0x08020000u);
    /* outside the region: the bootloader's sectors, past the end */
    s = command(DFUSE_CMD_SET_ADDRESS, FLASH_BASE, true, NULL);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    CHECK_EQ(dev.device.pointer, 0x08020000u);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    s = get_status();
    CHECK_EQ(s.state, DFU_STATE_IDLE);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    s = command(DFUSE_CMD_SET_ADDRESS, APP_END, true, NULL);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
}

static void erase_sectors(void)
{
    start();
    memset(&flash[APP_BASE - FLASH_BASE], 0x00, FLASH_SIZE - (APP_BASE - FLASH_BASE));
    uint32_t poll = 0;
    status s = command(DFUSE_CMD_ERASE, APP_BASE, true, &poll);
    CHECK_EQ(s.state, DFU_STATE_DNLOAD_IDLE);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(poll, 300);
    CHECK(all(APP_BASE, 16384, 0xFF));
    CHECK(all(APP_BASE + 16384, 16384, 0x00));
    /* An address inside the 64 KiB sector erases all of it, and only it. */
    s = command(DFUSE_CMD_ERASE, 0x08012345u, true, &poll);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(poll, 700);
    CHECK(all(0x08010000u, 65536, 0xFF));
    CHECK(all(0x08020000u, 131072, 0x00));
    CHECK(all(0x0800C000u, 16384, 0x00));
    /* The bootloader's sectors are refused. */
    s = command(DFUSE_CMD_ERASE, FLASH_BASE, true, NULL);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    s = command(DFUSE_CMD_ERASE, APP_BASE - 1u, true, NULL);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    s = command(DFUSE_CMD_ERASE, 0x20000000u, true, NULL);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    CHECK(bootloader_intact());
    CHECK_EQ(dev.outside, 0);
}

static void mass_erase_is_the_region_only(void)
{
    start();
    memset(&flash[APP_BASE - FLASH_BASE], 0x00, FLASH_SIZE - (APP_BASE - FLASH_BASE));
    uint32_t poll = 0;
    status s = command(DFUSE_CMD_ERASE, 0, false, &poll);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(poll, 2 * 300 + 700 + 3 * 1200);
    CHECK(all(APP_BASE, APP_END - APP_BASE, 0xFF));
    CHECK(bootloader_intact());
    CHECK_EQ(dev.erases, 6);
}

static void read_unprotect_refused(void)
{
    start();
    status s = command(DFUSE_CMD_READ_UNPROTECT, 0, false, NULL);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    CHECK(bootloader_intact());
    CHECK(all(APP_BASE, APP_END - APP_BASE, 0xFF));
}

static void unknown_commands_stall(void)
{
    start();
    uint8_t b[5] = {0x33, 0, 0, 0, 0};
    CHECK_EQ(dnload(0, b, 5), SIM_DFU_STALL);
    CHECK_EQ(get_status().status, DFU_STATUS_ERR_STALLEDPKT);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    b[0] = DFUSE_CMD_SET_ADDRESS; /* with a 3-byte address */
    CHECK_EQ(dnload(0, b, 4), SIM_DFU_STALL);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    b[0] = DFUSE_CMD_GET_COMMANDS; /* an upload, not a download */
    CHECK_EQ(dnload(0, b, 1), SIM_DFU_STALL);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    CHECK_EQ(dnload(1, b, 5), SIM_DFU_STALL); /* block 1 means nothing */
    CHECK_EQ(get_status().state, DFU_STATE_ERROR);
}

static void get_commands(void)
{
    start();
    uint8_t b[64];
    uint16_t n = 0;
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 0, sizeof b, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 3);
    CHECK_EQ(b[0], DFUSE_CMD_GET_COMMANDS);
    CHECK_EQ(b[1], DFUSE_CMD_SET_ADDRESS);
    CHECK_EQ(b[2], DFUSE_CMD_ERASE);
    CHECK_EQ(get_status().state, DFU_STATE_IDLE); /* a short frame ends the upload */
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 0, 2, b, &n), SIM_DFU_OK);
    CHECK_EQ(n, 2);
    CHECK_EQ(get_status().state, DFU_STATE_UPLOAD_IDLE);
    CHECK(abort_to_idle());
}

static void download_and_upload(void)
{
    start();
    CHECK_EQ(command(DFUSE_CMD_ERASE, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    uint8_t a[XFER], b[XFER];
    fill(a, XFER, 1);
    fill(b, 1000, 2);
    uint32_t poll = 0;
    status s = write_block(2, a, XFER, &poll);
    CHECK_EQ(s.state, DFU_STATE_DNLOAD_IDLE);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(poll, 52); /* 2 KiB at 26 ms per KiB */
    s = write_block(3, b, 1000, &poll); /* wBlockNum 3: the pointer plus one transfer */
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(poll, 26);
    CHECK(memcmp(&flash[APP_BASE - FLASH_BASE], a, XFER) == 0);
    CHECK(memcmp(&flash[APP_BASE - FLASH_BASE + XFER], b, 1000) == 0);
    CHECK(all(APP_BASE + XFER + 1000, 16384 - XFER - 1000, 0xFF));
    CHECK_EQ(dev.programs, 2);
    /* Read back: upload needs dfuIDLE. */
    uint8_t r[XFER];
    uint16_t n = 0;
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 2, XFER, r, &n), SIM_DFU_STALL); /* in dfuDNLOAD-IDLE */
    CHECK_EQ(get_status().status, DFU_STATUS_ERR_STALLEDPKT);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    CHECK(abort_to_idle());
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 2, XFER, r, &n), SIM_DFU_OK);
    CHECK_EQ(n, XFER);
    CHECK(memcmp(r, a, XFER) == 0);
    CHECK_EQ(get_status().state, DFU_STATE_UPLOAD_IDLE);
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 3, 1000, r, &n), SIM_DFU_OK);
    CHECK(memcmp(r, b, 1000) == 0);
    CHECK(abort_to_idle());
    /* The region's last bytes: a short frame, then dfuIDLE. */
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_END - 100u, true, NULL).status, DFU_STATUS_OK);
    CHECK(abort_to_idle());
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 2, XFER, r, &n), SIM_DFU_OK);
    CHECK_EQ(n, 100);
    CHECK_EQ(get_status().state, DFU_STATE_IDLE);
    /* Past the end: refused with errADDRESS. */
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 3, XFER, r, &n), SIM_DFU_STALL);
    s = get_status();
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_ADDRESS);
    CHECK(bootloader_intact());
}

static void download_guards(void)
{
    start();
    uint8_t a[XFER];
    fill(a, XFER, 3);
    CHECK_EQ(command(DFUSE_CMD_ERASE, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    CHECK_EQ(write_block(2, a, XFER, NULL).status, DFU_STATUS_OK);
    /* Over flash that is not erased */
    status s = write_block(2, a, XFER, NULL);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_WRITE);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    /* Crossing the region's end */
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_END - 1024u, true, NULL).status, DFU_STATUS_OK);
    s = write_block(2, a, XFER, NULL);
    CHECK_EQ(s.status, DFU_STATUS_ERR_ADDRESS);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    /* Beyond it by the block number */
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    s = write_block(2 + (APP_END - APP_BASE) / XFER, a, 16, NULL);
    CHECK_EQ(s.status, DFU_STATUS_ERR_ADDRESS);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    s = write_block(0xFFFF, a, 16, NULL); /* past 4 GiB */
    CHECK_EQ(s.status, DFU_STATUS_ERR_ADDRESS);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    /* Off the program unit (4 bytes here) */
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE + 0x4002u, true, NULL).status, DFU_STATUS_OK);
    s = write_block(2, a, 16, NULL);
    CHECK_EQ(s.status, DFU_STATUS_ERR_ADDRESS);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    /* Longer than wTransferSize: stalled as it comes */
    uint8_t big[XFER + 1];
    uint8_t setup[8] = {0x21, DFU_REQ_DNLOAD, 2, 0, 0, 0, (uint8_t)(XFER + 1), (uint8_t)((XFER + 1) >> 8)};
    uint16_t n;
    CHECK_EQ(sim_dfu_control(&dev, setup, big, &n), SIM_DFU_STALL);
    CHECK_EQ(get_status().status, DFU_STATUS_ERR_STALLEDPKT);
    CHECK(bootloader_intact());
    CHECK_EQ(dev.outside, 0);
}

static void requests_out_of_place(void)
{
    start();
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_STALL); /* not in dfuERROR */
    CHECK_EQ(get_status().status, DFU_STATUS_ERR_STALLEDPKT);
    /* In dfuERROR, what is not GETSTATUS, GETSTATE or CLRSTATUS stalls and keeps the status. */
    CHECK_EQ(control(0x21, DFU_REQ_ABORT, 0, 0, NULL, NULL), SIM_DFU_STALL);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    CHECK_EQ(command(DFUSE_CMD_ERASE, FLASH_BASE, true, NULL).status, DFU_STATUS_ERR_TARGET);
    uint8_t b[5] = {DFUSE_CMD_SET_ADDRESS, 0, 0x80, 0, 0x08};
    CHECK_EQ(dnload(0, b, 5), SIM_DFU_STALL);
    status s = get_status();
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    CHECK_EQ(control(0x21, DFU_REQ_DETACH, 1000, 0, NULL, NULL), SIM_DFU_STALL); /* DFU mode already */
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    CHECK_EQ(control(0xA1, 7, 0, 1, b, NULL), SIM_DFU_STALL); /* no such request */
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    CHECK_EQ(control(0x21, DFU_REQ_GETSTATUS, 0, 6, b, NULL), SIM_DFU_STALL); /* the wrong direction */
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    /* The zero-length download from dfuUPLOAD-IDLE is not the end of a download. */
    uint16_t n = 0;
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 0, 2, b, &n), SIM_DFU_OK);
    CHECK_EQ(dnload(2, NULL, 0), SIM_DFU_STALL);
    /* Another interface, and a vendor request */
    uint8_t setup[8] = {0x21, DFU_REQ_ABORT, 0, 0, 1, 0, 0, 0};
    CHECK_EQ(sim_dfu_control(&dev, setup, b, &n), SIM_DFU_STALL);
    setup[0] = 0x40;
    setup[4] = 0;
    CHECK_EQ(sim_dfu_control(&dev, setup, b, &n), SIM_DFU_STALL);
}

static void leave_detaches(void)
{
    start();
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    CHECK_EQ(dnload(2, NULL, 0), SIM_DFU_OK);
    CHECK_EQ(dev.device.state, DFU_STATE_MANIFEST_SYNC);
    status s = get_status();
    CHECK_EQ(s.state, DFU_STATE_MANIFEST);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK(s.poll > 0);
    CHECK(dev.left);
    CHECK_EQ(dev.device.state, DFU_STATE_MANIFEST_WAIT_RESET);
    uint8_t b[6];
    CHECK_EQ(control(0xA1, DFU_REQ_GETSTATUS, 0, 6, b, NULL), SIM_DFU_GONE);
    /* The core itself takes nothing more and stays there until the reset. */
    uint8_t setup[8] = {0xA1, DFU_REQ_GETSTATUS, 0, 0, 0, 0, 6, 0};
    uint16_t n = 0;
    CHECK(!dfu_device_request(&dev.device, setup, b, &n));
    CHECK_EQ(dev.device.state, DFU_STATE_MANIFEST_WAIT_RESET);
    sim_dfu_reconnect(&dev);
    CHECK_EQ(get_status().state, DFU_STATE_IDLE);
    /* DfuSe's leave after an ABORT: from dfuIDLE */
    CHECK_EQ(dnload(2, NULL, 0), SIM_DFU_OK);
    CHECK_EQ(get_status().state, DFU_STATE_MANIFEST);
    CHECK(dev.left);
}

static void manifestation_tolerant(void)
{
    start_with(DFU_ATTR_CAN_DNLOAD | DFU_ATTR_CAN_UPLOAD | DFU_ATTR_MANIFESTATION_TOLERANT);
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    CHECK_EQ(dnload(2, NULL, 0), SIM_DFU_OK);
    CHECK_EQ(get_status().state, DFU_STATE_MANIFEST);
    CHECK(!dev.left);
    CHECK_EQ(dev.device.state, DFU_STATE_MANIFEST_SYNC);
    CHECK_EQ(get_status().state, DFU_STATE_IDLE);
}

static void attributes_refuse(void)
{
    start_with(DFU_ATTR_CAN_UPLOAD);
    uint8_t b[XFER];
    fill(b, 16, 4);
    CHECK_EQ(dnload(2, b, 16), SIM_DFU_STALL);
    start_with(DFU_ATTR_CAN_DNLOAD);
    uint16_t n;
    CHECK_EQ(control(0xA1, DFU_REQ_UPLOAD, 2, 16, b, &n), SIM_DFU_STALL);
}

/* The firmware's order: the answer to GETSTATUS is delivered, and a request may arrive before
 * the main loop ran the work; before delivery the device is busy. */
static void work_waits_for_delivery(void)
{
    start();
    dfu_device *d = &dev.device;
    uint8_t setup_erase[8] = {0x21, DFU_REQ_DNLOAD, 0, 0, 0, 0, 5, 0};
    uint8_t erase[5] = {DFUSE_CMD_ERASE, 0x00, 0x80, 0x00, 0x08};
    uint8_t setup_status[8] = {0xA1, DFU_REQ_GETSTATUS, 0, 0, 0, 0, 6, 0};
    uint8_t b[6];
    uint16_t n;
    memset(&flash[APP_BASE - FLASH_BASE], 0, 16);
    CHECK(dfu_device_request(d, setup_erase, erase, &n));
    CHECK(dfu_device_request(d, setup_status, b, &n));
    CHECK_EQ(b[4], DFU_STATE_DNBUSY);
    CHECK(!dfu_device_run(d));         /* not delivered yet */
    CHECK(all(APP_BASE, 16, 0x00));
    CHECK(!dfu_device_request(d, setup_status, b, &n)); /* a request while busy */
    CHECK_EQ(d->state, DFU_STATE_ERROR);
    CHECK(all(APP_BASE, 16, 0x00));    /* the work was dropped */
    uint8_t setup_clear[8] = {0x21, DFU_REQ_CLRSTATUS, 0, 0, 0, 0, 0, 0};
    CHECK(dfu_device_request(d, setup_clear, NULL, &n));
    CHECK(dfu_device_request(d, setup_erase, erase, &n));
    CHECK(dfu_device_request(d, setup_status, b, &n));
    dfu_device_delivered(d);
    CHECK(dfu_device_request(d, setup_status, b, &n)); /* runs the erase first */
    CHECK_EQ(b[4], DFU_STATE_DNLOAD_IDLE);
    CHECK_EQ(b[0], DFU_STATUS_OK);
    CHECK(all(APP_BASE, 16384, 0xFF));
    CHECK(!dfu_device_run(d));
}

/* ---- faults ---- */

static void download_some(sim_dfu_fault fault, unsigned at, status *last, unsigned *written)
{
    start();
    sim_dfu_set_fault(&dev, fault, at);
    CHECK_EQ(command(DFUSE_CMD_ERASE, APP_BASE, true, NULL).status, fault == SIM_DFU_FAULT_ERR_CHECK_ERASED && at == 1 ? DFU_STATUS_ERR_CHECK_ERASED : DFU_STATUS_OK);
    if (fault == SIM_DFU_FAULT_ERR_CHECK_ERASED && at == 1) {
        *last = get_status();
        return;
    }
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, true, NULL).status, DFU_STATUS_OK);
    uint8_t a[XFER];
    *written = 0;
    for (unsigned i = 0; i < 4; i++) {
        fill(a, XFER, i);
        if (dnload((uint16_t)(2 + i), a, XFER) != SIM_DFU_OK) {
            *last = get_status();
            return;
        }
        get_status();
        *last = get_status();
        if (last->state != DFU_STATE_DNLOAD_IDLE) return;
        (*written)++;
    }
}

static void faults(void)
{
    status s;
    unsigned written = 0;
    download_some(SIM_DFU_FAULT_ERR_TARGET, 2, &s, &written);
    CHECK_EQ(written, 1);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    download_some(SIM_DFU_FAULT_ERR_VERIFY, 3, &s, &written);
    CHECK_EQ(written, 2);
    CHECK_EQ(s.status, DFU_STATUS_ERR_VERIFY);
    download_some(SIM_DFU_FAULT_ERR_CHECK_ERASED, 1, &s, &written);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_CHECK_ERASED);
    download_some(SIM_DFU_FAULT_STALL, 2, &s, &written);
    CHECK_EQ(written, 1);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_STALLEDPKT);
    /* the fault fired once: after CLRSTATUS the same block goes through */
    CHECK_EQ(control(0x21, DFU_REQ_CLRSTATUS, 0, 0, NULL, NULL), SIM_DFU_OK);
    uint8_t a[XFER];
    fill(a, XFER, 1);
    CHECK_EQ(write_block(3, a, XFER, NULL).status, DFU_STATUS_OK);
    download_some(SIM_DFU_FAULT_DISCONNECT, 3, &s, &written);
    CHECK_EQ(written, 2);
    CHECK(!dev.connected);
    CHECK_EQ(s.state, 0xEE); /* nothing answers */
    uint8_t b[6];
    CHECK_EQ(control(0x80, 6, 0x0100, 6, b, NULL), SIM_DFU_GONE);
    sim_dfu_reconnect(&dev);
    s = get_status();
    CHECK_EQ(s.state, DFU_STATE_IDLE);
    CHECK(bootloader_intact());
}

static void status_names(void)
{
    CHECK(strcmp(dfu_state_name(DFU_STATE_DNLOAD_IDLE), "dfuDNLOAD-IDLE") == 0);
    CHECK(strcmp(dfu_state_name(DFU_STATE_MANIFEST_WAIT_RESET), "dfuMANIFEST-WAIT-RESET") == 0);
    CHECK(strcmp(dfu_state_name(DFU_STATE_ERROR), "dfuERROR") == 0);
    CHECK(strcmp(dfu_state_name(11), "unknown state") == 0);
    CHECK(strcmp(dfu_status_name(DFU_STATUS_ERR_CHECK_ERASED), "errCHECK_ERASED") == 0);
    CHECK(strcmp(dfu_status_name(DFU_STATUS_ERR_STALLEDPKT), "errSTALLEDPKT") == 0);
    CHECK(strcmp(dfu_status_name(16), "unknown status") == 0);
}

int main(void)
{
    RUN(alt_string_from_the_region_table);
    RUN(configurations_refused);
    RUN(descriptors);
    RUN(idle_status_and_state);
    RUN(set_address_pointer);
    RUN(erase_sectors);
    RUN(mass_erase_is_the_region_only);
    RUN(read_unprotect_refused);
    RUN(unknown_commands_stall);
    RUN(get_commands);
    RUN(download_and_upload);
    RUN(download_guards);
    RUN(requests_out_of_place);
    RUN(leave_detaches);
    RUN(manifestation_tolerant);
    RUN(attributes_refuse);
    RUN(work_waits_for_delivery);
    RUN(faults);
    RUN(status_names);
    return CHECK_SUMMARY();
}
