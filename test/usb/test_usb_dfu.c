/* The bootloader's USB device (firmware/usb/usb_dfu.c on the device core and the DWC2 driver)
 * over the OTG register model, as a host drives it: enumeration at full speed (the H7's OTG_FS)
 * and high speed (the F723's OTG_HS), the descriptors a DFU host reads (the DFU-mode interface,
 * the functional descriptor, the layout string), then a DfuSe session with 2 KiB data stages
 * through endpoint 0: erase, address pointer, download, the DFU_GETSTATUS that announces the
 * work and the one after it, upload, refusals, and leaving DFU mode. The flash is a RAM model
 * of the F723's application region behind the flash operations the bootloader gives. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dfu/dfu.h"
#include "usb/usb_dfu.h"
#include "usb_host.h"

#define APP_BASE 0x08008000u
#define APP_SIZE (480u * 1024u)
#define XFER 2048u

static uint8_t app[APP_SIZE];
static unsigned erases, programs, leaves;

static uint8_t flash_erase(void *ctx, uint32_t address, uint32_t size)
{
    (void)ctx;
    if (address < APP_BASE || address - APP_BASE + size > APP_SIZE) return DFU_STATUS_ERR_ERASE;
    memset(&app[address - APP_BASE], 0xFF, size);
    erases++;
    return DFU_STATUS_OK;
}

static uint8_t flash_program(void *ctx, uint32_t address, const uint8_t *data, uint32_t length)
{
    (void)ctx;
    if (address < APP_BASE || address - APP_BASE + length > APP_SIZE) return DFU_STATUS_ERR_PROG;
    for (uint32_t i = 0; i < length; i++) app[address - APP_BASE + i] &= data[i];
    programs++;
    return DFU_STATUS_OK;
}

static void flash_read(void *ctx, uint32_t address, uint8_t *data, uint32_t length)
{
    (void)ctx;
    memcpy(data, &app[address - APP_BASE], length);
}

static void flash_leave(void *ctx)
{
    (void)ctx;
    leaves++;
}

static const dfu_flash_ops ops = {NULL, flash_erase, flash_program, flash_read, flash_leave};
static const dfu_sector_group sectors[] = {{2, 16384, 512}, {1, 65536, 2048}, {3, 131072, 4096}};

static usb_rig rig;
static usb_host host;

static void dfu_pump(void *ctx)
{
    (void)ctx;
    usb_dfu_task();
}

/* The bootloader on the model, enumerated: addressed and configured. */
static bool start(otg_model_kind kind, bool host_high_speed)
{
    memset(app, 0x5A, sizeof app);
    erases = programs = leaves = 0;
    if (!usb_rig_start_controller(&rig, kind)) return false;
    const usb_dfu_config config = {
        .desc = {0x1D50, 0x6017, 0x0100, "bmp-gdbserver", "bmp-gdbserver DFU (test)", "0123456789ABCDEF01234567",
                 kind == OTG_MODEL_HS_UTMI},
        .dfu = {"Application", APP_BASE, sectors, 3, XFER, 4, 26,
                DFU_ATTR_CAN_DNLOAD | DFU_ATTR_CAN_UPLOAD | DFU_ATTR_WILL_DETACH, &ops},
    };
    if (!usb_dfu_init(&config, usb_dwc2_dcd(&rig.dwc2))) return false;
    usb_host_init(&host, &rig.otg);
    host.pump = dfu_pump;
    if (!usb_host_reset(&host, host_high_speed)) return false;
    if (usb_host_control(&host, 0x00, 5, 7, 0, 0, NULL, NULL) != HOST_OK) return false;
    host.address = 7;
    return usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL) == HOST_OK;
}

typedef struct status {
    uint8_t status, state;
    uint32_t poll;
} status;

static status get_status(void)
{
    uint8_t b[6];
    size_t n = 0;
    status s = {0xEE, 0xEE, 0};
    if (usb_host_control(&host, 0xA1, DFU_REQ_GETSTATUS, 0, 0, 6, b, &n) != HOST_OK || n != 6) return s;
    s.status = b[0];
    s.poll = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16;
    s.state = b[4];
    return s;
}

static host_result dnload(uint16_t block, uint8_t *data, uint16_t length)
{
    return usb_host_control(&host, 0x21, DFU_REQ_DNLOAD, block, 0, length, data, NULL);
}

/* DNLOAD, then GETSTATUS (dfuDNBUSY), the device's main loop, GETSTATUS again. */
static status work(uint16_t block, uint8_t *data, uint16_t length, uint32_t *poll)
{
    status bad = {0xEE, 0xEE, 0};
    if (dnload(block, data, length) != HOST_OK) return bad;
    status busy = get_status();
    if (poll) *poll = busy.poll;
    if (busy.state != DFU_STATE_DNBUSY) return bad;
    usb_host_pump(&host);
    return get_status();
}

static status command(uint8_t code, uint32_t address, uint32_t *poll)
{
    uint8_t b[5] = {code, (uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16), (uint8_t)(address >> 24)};
    return work(0, b, 5, poll);
}

static void descriptors(otg_model_kind kind, bool hs_host)
{
    CHECK(start(kind, hs_host));
    uint8_t b[256];
    size_t n = 0;
    CHECK_EQ(usb_host_get_descriptor(&host, 1, 0, b, 18, &n), HOST_OK);
    CHECK_EQ(n, 18);
    CHECK_EQ(b[8] | b[9] << 8, 0x1D50);
    CHECK_EQ(b[10] | b[11] << 8, 0x6017);
    CHECK_EQ(b[7], 64);
    CHECK_EQ(usb_host_get_descriptor(&host, 2, 0, b, 255, &n), HOST_OK);
    CHECK_EQ(n, 27);
    CHECK_EQ(b[4], 1); /* one interface */
    CHECK_EQ(b[13], 0); /* no endpoint */
    CHECK_EQ(b[14], 0xFE);
    CHECK_EQ(b[15], 0x01);
    CHECK_EQ(b[16], 0x02);
    CHECK_EQ(b[19], 0x21);
    CHECK_EQ(b[20], 0x0B);
    CHECK_EQ(b[23] | b[24] << 8, XFER);
    CHECK_EQ(b[25] | b[26] << 8, 0x011A);
    CHECK_EQ(usb_host_get_descriptor(&host, 3, 4, b, 255, &n), HOST_OK);
    char alt[128] = {0};
    for (size_t i = 2; i + 1 < n && i / 2 < sizeof alt; i += 2) alt[i / 2 - 1] = (char)b[i];
    CHECK(strcmp(alt, "@Application /0x08008000/02*016Kg,01*064Kg,03*128Kg") == 0);
    host_result q = usb_host_get_descriptor(&host, 6, 0, b, 10, &n);
    CHECK_EQ(q, kind == OTG_MODEL_HS_UTMI ? HOST_OK : HOST_STALL);
    CHECK_EQ(usb_host_control(&host, 0x01, 11, 0, 0, 0, NULL, NULL), HOST_OK); /* SET_INTERFACE(0, 0) */
    CHECK_EQ(usb_host_control(&host, 0x01, 11, 1, 0, 0, NULL, NULL), HOST_STALL);
    CHECK_EQ(rig.otg.errors, 0);
}

static void descriptors_full_speed(void)
{
    descriptors(OTG_MODEL_FS, false);
}

static void descriptors_high_speed(void)
{
    descriptors(OTG_MODEL_HS_UTMI, true);
    CHECK(rig.otg.high_speed);
}

static void session(otg_model_kind kind, bool hs_host)
{
    CHECK(start(kind, hs_host));
    CHECK_EQ(get_status().state, DFU_STATE_IDLE);
    uint32_t poll = 0;
    status s = command(DFUSE_CMD_ERASE, APP_BASE, &poll);
    CHECK_EQ(s.status, DFU_STATUS_OK);
    CHECK_EQ(s.state, DFU_STATE_DNLOAD_IDLE);
    CHECK_EQ(poll, 512);
    CHECK_EQ(erases, 1);
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, NULL).status, DFU_STATUS_OK);
    static uint8_t image[2 * XFER + 700];
    for (unsigned i = 0; i < sizeof image; i++) image[i] = (uint8_t)(i * 31u + 7u);
    for (unsigned b = 0; b * XFER < sizeof image; b++) {
        uint16_t length = (uint16_t)(sizeof image - b * XFER < XFER ? sizeof image - b * XFER : XFER);
        s = work((uint16_t)(2 + b), &image[b * XFER], length, &poll);
        CHECK_EQ(s.status, DFU_STATUS_OK);
        CHECK_EQ(s.state, DFU_STATE_DNLOAD_IDLE);
    }
    CHECK(memcmp(app, image, sizeof image) == 0);
    CHECK_EQ(programs, 3);
    /* read back */
    CHECK_EQ(usb_host_control(&host, 0x21, DFU_REQ_ABORT, 0, 0, 0, NULL, NULL), HOST_OK);
    static uint8_t back[sizeof image];
    size_t n = 0;
    for (unsigned b = 0; b * XFER < sizeof image; b++) {
        uint16_t length = (uint16_t)(sizeof image - b * XFER < XFER ? sizeof image - b * XFER : XFER);
        CHECK_EQ(usb_host_control(&host, 0xA1, DFU_REQ_UPLOAD, (uint16_t)(2 + b), 0, length, &back[b * XFER], &n), HOST_OK);
        CHECK_EQ(n, length);
    }
    CHECK(memcmp(back, image, sizeof image) == 0);
    CHECK_EQ(get_status().state, DFU_STATE_UPLOAD_IDLE);
    CHECK_EQ(usb_host_control(&host, 0x21, DFU_REQ_ABORT, 0, 0, 0, NULL, NULL), HOST_OK);
    /* the bootloader's sector, refused */
    s = command(DFUSE_CMD_ERASE, 0x08000000u, NULL);
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_TARGET);
    CHECK_EQ(usb_host_control(&host, 0x21, DFU_REQ_CLRSTATUS, 0, 0, 0, NULL, NULL), HOST_OK);
    /* a block longer than wTransferSize: stalled before its data stage */
    static uint8_t big[XFER + 64];
    CHECK_EQ(dnload(2, big, sizeof big), HOST_STALL);
    s = get_status();
    CHECK_EQ(s.state, DFU_STATE_ERROR);
    CHECK_EQ(s.status, DFU_STATUS_ERR_STALLEDPKT);
    CHECK_EQ(usb_host_control(&host, 0x21, DFU_REQ_CLRSTATUS, 0, 0, 0, NULL, NULL), HOST_OK);
    /* leave: the zero-length download, GETSTATUS says dfuMANIFEST, then the device leaves */
    CHECK_EQ(command(DFUSE_CMD_SET_ADDRESS, APP_BASE, NULL).status, DFU_STATUS_OK);
    CHECK_EQ(dnload(2, NULL, 0), HOST_OK);
    s = get_status();
    CHECK_EQ(s.state, DFU_STATE_MANIFEST);
    /* the main loop ran once the answer was delivered: the bootloader has left */
    CHECK_EQ(leaves, 1);
    CHECK_EQ(usb_dfu_state(), DFU_STATE_MANIFEST_WAIT_RESET);
    CHECK_EQ(rig.otg.errors, 0);
    if (rig.otg.errors) printf("  model: %s\n", rig.otg.error);
}

static void session_full_speed(void)
{
    session(OTG_MODEL_FS, false);
}

static void session_high_speed(void)
{
    session(OTG_MODEL_HS_UTMI, true);
}

static void bus_reset_starts_again(void)
{
    CHECK(start(OTG_MODEL_FS, false));
    CHECK_EQ(command(DFUSE_CMD_ERASE, 0x08000000u, NULL).state, DFU_STATE_ERROR);
    CHECK(usb_host_reset(&host, false));
    host.address = 0;
    CHECK_EQ(usb_host_control(&host, 0x00, 5, 9, 0, 0, NULL, NULL), HOST_OK);
    host.address = 9;
    status s = get_status();
    CHECK_EQ(s.state, DFU_STATE_IDLE);
    CHECK_EQ(s.status, DFU_STATUS_OK);
}

int main(void)
{
    RUN(descriptors_full_speed);
    RUN(descriptors_high_speed);
    RUN(session_full_speed);
    RUN(session_high_speed);
    RUN(bus_reset_starts_again);
    return CHECK_SUMMARY();
}
