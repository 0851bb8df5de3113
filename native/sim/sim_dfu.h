/* The virtual DfuSe device: the DfuSe device core (native/core/dfu) and its descriptors over a
 * RAM model of a board's flash, answering control transfers as the bootloader does over USB.
 * The addon hands it to TypeScript behind node-usb's USBDevice shape (lib/firmware/dfu-virtual.ts);
 * the libusb stand-in for dfu-util (test/interop/standins/libusb_dfu.c) links it directly.
 *
 * The flash model covers the whole flash (the caller's buffer), so that anything the core wrote
 * outside its region would show; such writes are also counted (`outside`). NOR semantics:
 * erase sets a sector to 0xFF, programming can only clear bits.
 *
 * Faults, each firing once at the `at`-th event of its kind (1: the first):
 *   STALL              the at-th data block's DFU_DNLOAD is stalled (the device enters dfuERROR)
 *   DISCONNECT         the device leaves the bus as the at-th data block arrives (nothing more
 *                      answers until sim_dfu_reconnect)
 *   ERR_TARGET         the at-th program operation fails with errTARGET
 *   ERR_VERIFY         the at-th program operation leaves one bit unprogrammed (the core's read
 *                      back reports errVERIFY)
 *   ERR_CHECK_ERASED   the at-th sector erase leaves a byte programmed (errCHECK_ERASED) */
#ifndef SIM_DFU_H
#define SIM_DFU_H

#include <stdbool.h>
#include <stdint.h>

#include "dfu/dfu_boot.h"
#include "dfu/dfu_desc.h"
#include "dfu/dfu_device.h"

typedef enum {
    SIM_DFU_FAULT_NONE,
    SIM_DFU_FAULT_STALL,
    SIM_DFU_FAULT_DISCONNECT,
    SIM_DFU_FAULT_ERR_TARGET,
    SIM_DFU_FAULT_ERR_VERIFY,
    SIM_DFU_FAULT_ERR_CHECK_ERASED,
} sim_dfu_fault;

typedef struct sim_dfu_config {
    dfu_desc_config desc;
    dfu_config dfu;              /* its ops are the model's (set by sim_dfu_init) */
    dfu_sector_group sectors[DFU_MAX_SECTOR_GROUPS];
    uint32_t flash_base, flash_size;
    uint8_t *flash;              /* flash_size bytes, the caller's; kept as it is */
} sim_dfu_config;

typedef enum { SIM_DFU_OK, SIM_DFU_STALL, SIM_DFU_GONE } sim_dfu_result;

typedef struct sim_dfu {
    sim_dfu_config config;
    dfu_flash_ops ops;
    dfu_device device;
    bool connected;       /* false after a disconnect, until sim_dfu_reconnect */
    bool left;            /* the host left DFU mode and the device detached */
    uint8_t configuration;
    sim_dfu_fault fault;
    uint32_t fault_at;
    uint32_t blocks, erases, programs; /* data blocks received, operations done */
    uint32_t outside;     /* erase or program calls outside the region (must stay 0) */
} sim_dfu;

/* Copies the configuration (the sector table into its own array), fills in the flash
 * operations and starts the device. False if the DFU configuration is refused by the core or
 * the region is not inside the modelled flash. */
bool sim_dfu_init(sim_dfu *v, const sim_dfu_config *config);

/* One control transfer: `setup` as sent; for an OUT data stage `data` holds wLength bytes, for
 * an IN data stage it has room for wLength bytes and *length gets the count. SIM_DFU_GONE: the
 * device is not on the bus (disconnected, or detached after leaving DFU mode). */
sim_dfu_result sim_dfu_control(sim_dfu *v, const uint8_t setup[8], uint8_t *data, uint16_t *length);

void sim_dfu_set_fault(sim_dfu *v, sim_dfu_fault fault, uint32_t at);

/* The device comes back (plugged in again, or reset into DFU mode): dfuIDLE, flash as it is. */
void sim_dfu_reconnect(sim_dfu *v);

/* What the bootloader would decide at reset with this flash: `inputs` without `app`, which is
 * taken from the model at app_base. False if the application region is not in the model. */
bool sim_dfu_boot_decision(const sim_dfu *v, const dfu_boot_inputs *inputs, dfu_boot_decision *decision);

#endif
