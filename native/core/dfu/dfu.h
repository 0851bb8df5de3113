/* Numbers of the USB Device Firmware Upgrade class, revision 1.1 (requests, states, status
 * codes, the functional descriptor) and of ST's DfuSe extensions to it (AN3156: the commands of
 * block 0; UM0391: bcdDFUVersion 0x011A). Shared by the DfuSe device core (dfu_device.h), its
 * descriptors (dfu_desc.h), the bootloader and the virtual device. */
#ifndef DFU_H
#define DFU_H

/* Class requests (bRequest), to the DFU interface */
#define DFU_REQ_DETACH 0u
#define DFU_REQ_DNLOAD 1u
#define DFU_REQ_UPLOAD 2u
#define DFU_REQ_GETSTATUS 3u
#define DFU_REQ_CLRSTATUS 4u
#define DFU_REQ_GETSTATE 5u
#define DFU_REQ_ABORT 6u

/* bState */
typedef enum {
    DFU_STATE_APP_IDLE = 0,
    DFU_STATE_APP_DETACH = 1,
    DFU_STATE_IDLE = 2,
    DFU_STATE_DNLOAD_SYNC = 3,
    DFU_STATE_DNBUSY = 4,
    DFU_STATE_DNLOAD_IDLE = 5,
    DFU_STATE_MANIFEST_SYNC = 6,
    DFU_STATE_MANIFEST = 7,
    DFU_STATE_MANIFEST_WAIT_RESET = 8,
    DFU_STATE_UPLOAD_IDLE = 9,
    DFU_STATE_ERROR = 10,
} dfu_state;

/* bStatus */
typedef enum {
    DFU_STATUS_OK = 0x00,
    DFU_STATUS_ERR_TARGET = 0x01,       /* the file is not for this device (here: the address) */
    DFU_STATUS_ERR_FILE = 0x02,
    DFU_STATUS_ERR_WRITE = 0x03,        /* the device cannot write the memory */
    DFU_STATUS_ERR_ERASE = 0x04,        /* the erase failed */
    DFU_STATUS_ERR_CHECK_ERASED = 0x05, /* the erase check failed */
    DFU_STATUS_ERR_PROG = 0x06,         /* the program function failed */
    DFU_STATUS_ERR_VERIFY = 0x07,       /* what was programmed reads back different */
    DFU_STATUS_ERR_ADDRESS = 0x08,      /* an address out of range */
    DFU_STATUS_ERR_NOTDONE = 0x09,      /* the zero-length download came too early */
    DFU_STATUS_ERR_FIRMWARE = 0x0A,
    DFU_STATUS_ERR_VENDOR = 0x0B,
    DFU_STATUS_ERR_USBR = 0x0C,
    DFU_STATUS_ERR_POR = 0x0D,
    DFU_STATUS_ERR_UNKNOWN = 0x0E,
    DFU_STATUS_ERR_STALLEDPKT = 0x0F,   /* the device stalled an unexpected request */
} dfu_status;

/* The DFU functional descriptor */
#define DFU_DT_FUNCTIONAL 0x21u
#define DFU_FUNCTIONAL_LENGTH 9u
#define DFU_ATTR_CAN_DNLOAD 0x01u
#define DFU_ATTR_CAN_UPLOAD 0x02u
#define DFU_ATTR_MANIFESTATION_TOLERANT 0x04u
#define DFU_ATTR_WILL_DETACH 0x08u
#define DFU_VERSION_DFUSE 0x011Au

/* The interface: application-specific class, DFU subclass, DFU-mode protocol */
#define DFU_INTERFACE_CLASS 0xFEu
#define DFU_INTERFACE_SUBCLASS 0x01u
#define DFU_INTERFACE_PROTOCOL_DFU_MODE 0x02u

/* DfuSe commands: the first byte of a DFU_DNLOAD of block 0 (AN3156), and what DFU_UPLOAD of
 * block 0 lists (Get Commands). */
#define DFUSE_CMD_GET_COMMANDS 0x00u
#define DFUSE_CMD_SET_ADDRESS 0x21u
#define DFUSE_CMD_ERASE 0x41u
#define DFUSE_CMD_READ_UNPROTECT 0x92u
/* Data blocks start at wBlockNum 2: address = pointer + (wBlockNum - 2) * wTransferSize */
#define DFUSE_FIRST_DATA_BLOCK 2u

/* GETSTATUS answers 6 bytes: bStatus, bwPollTimeout (3 bytes), bState, iString */
#define DFU_STATUS_LENGTH 6u

#endif
