/* The DfuSe device: the DFU 1.1 state machine in DFU mode (dfuIDLE to dfuERROR; the
 * application-mode states appIDLE and appDETACH are not this device's) with ST's DfuSe
 * extensions (AN3156): on block 0 of DFU_DNLOAD the commands Set Address Pointer (0x21), Erase
 * (0x41, a sector, or every sector of the region when it has no address) and Read Unprotect
 * (0x92, refused with errTARGET); DFU_UPLOAD of block 0 lists the commands (Get Commands); data
 * blocks from wBlockNum 2 go to pointer + (wBlockNum - 2) * wTransferSize.
 *
 * The device writes one region only, described by a table of sector groups from its base: the
 * bootloader's region table is the application's region, so nothing else (the bootloader's own
 * sectors above all) can be erased or written. An address outside the region is refused:
 * errTARGET for Set Address Pointer and Erase, errADDRESS for a data block (download or
 * upload). The flash is reached through dfu_flash_ops: the bootloader backs them with the
 * chip's flash controller, the PC (native/sim/sim_dfu.c) with a model.
 *
 * How it runs (the USB side is the caller's, see the bootloader's usb_dfu.c):
 *   - every class request to the DFU interface goes to dfu_device_request;
 *   - a DFU_DNLOAD records its work (a command or a data block), and the next DFU_GETSTATUS
 *     answers dfuDNBUSY (or dfuMANIFEST) with bwPollTimeout set to how long the work takes;
 *   - once that answer is delivered (the control transfer's status stage is done) the caller
 *     says so (dfu_device_delivered), and dfu_device_run does the work: erase and check that
 *     the sector reads erased, or check that the destination is erased, program and read back;
 *     a failure leaves dfuERROR with its status for the host's next DFU_GETSTATUS. A request
 *     that arrives before dfu_device_run was called does the work first, as a device that NAKs
 *     until it is done would.
 *
 * C11, no heap, no global state: each device is one struct. */
#ifndef DFU_DEVICE_H
#define DFU_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfu/dfu.h"

#define DFU_MAX_TRANSFER 2048u     /* the largest wTransferSize this device takes */
#define DFU_MAX_SECTOR_GROUPS 8u
#define DFU_ALT_STRING_MAX 126u    /* a string descriptor holds 126 UTF-16 characters */

/* `count` sectors of `size` bytes each; erasing one takes up to about `erase_ms`. */
typedef struct dfu_sector_group {
    uint16_t count;
    uint32_t size;
    uint32_t erase_ms;
} dfu_sector_group;

/* The flash under the region. erase and program return a DFU status (DFU_STATUS_OK, or the
 * error to report, such as DFU_STATUS_ERR_ERASE or DFU_STATUS_ERR_PROG). The device checks
 * erased sectors and programmed data itself by reading them back. */
typedef struct dfu_flash_ops {
    void *ctx;
    /* Erases the sector of `size` bytes at `address` (a sector start inside the region). */
    uint8_t (*erase)(void *ctx, uint32_t address, uint32_t size);
    /* Programs `length` bytes at `address` (a multiple of the program unit); a length that
     * ends inside a program unit leaves the rest of that unit erased. */
    uint8_t (*program)(void *ctx, uint32_t address, const uint8_t *data, uint32_t length);
    void (*read)(void *ctx, uint32_t address, uint8_t *data, uint32_t length);
    /* The host left DFU mode (a zero-length DFU_DNLOAD, and the DFU_GETSTATUS that answered
     * dfuMANIFEST delivered): a bootloader that will detach resets here. May be NULL. */
    void (*leave)(void *ctx);
} dfu_flash_ops;

typedef struct dfu_config {
    const char *name;              /* the region's name in the alternate setting's string */
    uint32_t base;                 /* the region's first address */
    const dfu_sector_group *sectors;
    uint8_t sector_groups;
    uint16_t transfer_size;        /* wTransferSize: 64 to DFU_MAX_TRANSFER */
    uint16_t program_unit;         /* a data block starts at a multiple of this (a power of two) */
    uint32_t program_ms_per_kib;   /* programming time, for bwPollTimeout */
    uint8_t attributes;            /* bmAttributes of the functional descriptor (DFU_ATTR_*) */
    const dfu_flash_ops *ops;
} dfu_config;

/* The work a DFU_DNLOAD asked for, done after the DFU_GETSTATUS that announced it. */
typedef enum {
    DFU_WORK_NONE,
    DFU_WORK_SET_ADDRESS,
    DFU_WORK_ERASE,
    DFU_WORK_ERASE_ALL,
    DFU_WORK_REFUSE,     /* refused when it runs, with `refusal` (Read Unprotect: errTARGET) */
    DFU_WORK_PROGRAM,
    DFU_WORK_MANIFEST,
} dfu_work;

typedef struct dfu_device {
    dfu_config config;
    uint32_t region_size;
    dfu_state state;
    dfu_status status;
    uint32_t pointer;        /* DfuSe's address pointer */
    dfu_work work;
    bool announced;          /* a DFU_GETSTATUS answered dfuDNBUSY or dfuMANIFEST for the work */
    bool delivered;          /* ... and the host has that answer */
    uint32_t work_address;
    uint16_t block_length;
    dfu_status refusal;
    uint32_t poll_ms;        /* the bwPollTimeout of the last DFU_GETSTATUS */
    uint8_t block[DFU_MAX_TRANSFER];
} dfu_device;

/* Checks the configuration (sectors, sizes, the callbacks) and starts in dfuIDLE with the
 * address pointer at the region's base. False if the configuration cannot work. */
bool dfu_device_init(dfu_device *d, const dfu_config *config);

/* A class request to the DFU interface. `setup` is the SETUP packet. For DFU_DNLOAD with data,
 * `data` holds the wLength bytes of the data stage; for a request with an IN data stage, `data`
 * has room for wLength bytes and *length gets the count to send (0 for a request without a data
 * stage). False: stall the request (the device is then in dfuERROR; its status says why). */
bool dfu_device_request(dfu_device *d, const uint8_t setup[8], uint8_t *data, uint16_t *length);

/* The host has the answer to the last request (its control transfer is complete). */
void dfu_device_delivered(dfu_device *d);

/* Does the work a delivered DFU_GETSTATUS announced. True if there was work (it may not
 * return: `leave` may reset the chip). */
bool dfu_device_run(dfu_device *d);

/* The USB side stalled a request of the DFU interface by itself (a data stage that came short,
 * a request too long for the buffer): dfuERROR with errSTALLEDPKT, as for a request the device
 * refuses. */
void dfu_device_stalled(dfu_device *d);

/* A USB bus reset: the device starts again in dfuIDLE (a device in dfuMANIFEST-WAIT-RESET has
 * already left, through `leave`). The region's contents are whatever the last work left. */
void dfu_device_bus_reset(dfu_device *d);

/* The region's size in bytes (the sum of the sector table). */
uint32_t dfu_region_size(const dfu_config *config);

/* Finds the sector holding `address`: its first address and size. False outside the region. */
bool dfu_region_sector(const dfu_config *config, uint32_t address, uint32_t *start, uint32_t *size);

/* The alternate setting's string in DfuSe's memory-layout form (UM0391), e.g.
 * "@Application /0x08008000/02*016Kg,01*064Kg,03*128Kg": the name, the base, then each sector
 * group as count * size (K for KiB) with 'g' (readable, erasable, writable). Written into `out`
 * with its NUL; returns its length, or 0 if `cap` is too small. */
size_t dfu_alt_string(const dfu_config *config, char *out, size_t cap);

/* The DFU 1.1 names ("dfuIDLE", "errTARGET"), for messages and tests. */
const char *dfu_state_name(unsigned state);
const char *dfu_status_name(unsigned status);

#endif
