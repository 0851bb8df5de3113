/* A model of the Synopsys DWC2 OTG core in device mode (as RM0431 and RM0433 describe the STM32
 * OTG_HS and OTG_FS), for running the firmware's controller driver (firmware/usb/usb_dwc2.c) on
 * the PC, and of the F72x USB PHY controller beside it.
 *
 * The driver's register accesses reach the model through usb_mmio.h built with USB_MMIO_MODEL:
 * the "base address" the driver is given is the address of a usb_mmio_model (the first member of
 * otg_model and phyc_model).
 *
 * Modelled: the global, device and endpoint registers the driver uses, with their access kinds
 * (write-1-to-clear interrupts, write-1 actions such as CNAK/SNAK/SD0PID/EPDIS, read-only status);
 * core soft reset and FIFO flushes; the shared RX FIFO as a queue of status entries and data
 * words in its configured depth (GRXFSIZ); one TX FIFO per IN endpoint in its configured depth,
 * filled packet by packet as the transfer size registers say; transfer size and packet count
 * bookkeeping; data toggles; NAK, STALL, endpoint enable/disable; SETUP handling on endpoint 0
 * (NAK and toggle set, stall lifted); global OUT NAK; the device address; the reset, enumeration
 * done, suspend and wake-up interrupts; speed negotiation (the core's kind, DCFG.DSPD and the
 * host's speed); whether the device is on the bus at all (device mode, soft disconnect, the
 * transceiver or UTMI PHY powered, B-session valid).
 *
 * Not modelled: timing of any kind (frames, microframes, SOF, polling intervals, time-outs), the
 * PHY's electrical side (line states, chirp, resume signalling), DMA, host mode, OTG protocols,
 * isochronous endpoints, LPM, and the exact moment some status entries appear (the SETUP-done
 * entry is queued with the SETUP packet, not when the next token arrives). Misuse the model
 * notices (a push past the transfer or the FIFO, overlapping FIFOs, packets too big for the
 * speed, disabling an OUT endpoint without the global OUT NAK, ...) is counted in `errors` with
 * the last one described in `error`. */
#ifndef OTG_MODEL_H
#define OTG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct usb_mmio_model {
    uint32_t (*read)(struct usb_mmio_model *m, uint32_t offset);
    void (*write)(struct usb_mmio_model *m, uint32_t offset, uint32_t value);
} usb_mmio_model;

/* ---- the F72x USB PHY controller ---- */

typedef struct phyc_model {
    usb_mmio_model mmio;
    uint32_t pll, tune, ldo;
    bool ldo_fails;          /* the LDO never reports ready */
    unsigned expected_select; /* the PLL1SEL code that matches the board's HSE */
} phyc_model;

void phyc_model_init(phyc_model *p, unsigned expected_select);
/* The PHY delivers its clock: LDO up, PLL enabled on the right input. */
bool phyc_model_clock_ok(const phyc_model *p);

/* ---- the OTG core ---- */

typedef enum {
    OTG_MODEL_FS,      /* an OTG_FS core with its embedded FS transceiver (H7 OTG_FS) */
    OTG_MODEL_HS_UTMI, /* OTG_HS with the internal UTMI PHY (F72x) */
} otg_model_kind;

typedef enum { OTG_ACK, OTG_NAK, OTG_STALL, OTG_NO_RESPONSE } otg_handshake;

#define OTG_MODEL_ENDPOINTS 9u
#define OTG_MODEL_FIFO_WORDS 1024u /* 4 KiB of FIFO RAM (F72x OTG_HS, H7 OTG_FS) */
#define OTG_MODEL_TX_BYTES 4096u
#define OTG_MODEL_TX_PACKETS 64u

typedef struct otg_model_tx_fifo {
    uint8_t bytes[OTG_MODEL_TX_BYTES]; /* whole packets, in order */
    uint32_t byte_count;
    uint16_t packet_length[OTG_MODEL_TX_PACKETS];
    unsigned packets;
    uint32_t words;              /* FIFO words in use: packets and the partial one */
    uint8_t partial[1024];       /* the packet being pushed */
    uint16_t partial_length, partial_target;
} otg_model_tx_fifo;

typedef struct otg_model_ep {
    bool enabled, nak, stall, data1;
    bool out_done_pending; /* OUT: the transfer is complete; NAK until its status is popped */
} otg_model_ep;

typedef struct otg_model {
    usb_mmio_model mmio;
    otg_model_kind kind;
    phyc_model *phyc; /* the UTMI PHY's controller (HS_UTMI), or NULL */
    bool clock_on;    /* the core's clocks (RCC) run; false: a soft reset never completes */

    uint32_t regs[0x1000 / 4]; /* stored register values (the rest is computed) */
    uint32_t gintsts;          /* latched interrupt bits */
    otg_model_ep in[OTG_MODEL_ENDPOINTS], out[OTG_MODEL_ENDPOINTS];
    uint32_t diepint[OTG_MODEL_ENDPOINTS], doepint[OTG_MODEL_ENDPOINTS];
    bool global_out_nak, global_in_nak;

    uint32_t rx[OTG_MODEL_FIFO_WORDS]; /* the RX FIFO: status words each followed by data */
    unsigned rx_head, rx_count;
    unsigned rx_data_left; /* data words of the popped entry not yet read */

    otg_model_tx_fifo tx[16];

    bool high_speed; /* the speed of the last bus reset */
    /* The address the device answers to: a new DCFG.DAD takes effect once the status stage of
     * the control transfer in progress (a zero-length IN on endpoint 0) is done, as SET_ADDRESS
     * wants (the driver writes DAD as the request arrives). */
    uint8_t address;
    bool address_pending;
    unsigned errors;
    char error[160];
    unsigned toggle_mismatches; /* OUT packets dropped as repeats (wrong data PID) */
} otg_model;

void otg_model_init(otg_model *m, otg_model_kind kind, phyc_model *phyc);
/* The base address to give the driver (and the PHY controller helper). */
uintptr_t otg_model_base(otg_model *m);
uintptr_t phyc_model_base(phyc_model *p);

/* The interrupt line: GAHBCFG.GINT and an unmasked interrupt pending. */
bool otg_model_irq_line(otg_model *m);
/* Whether the device shows itself on the bus (pull-up on, in device mode, PHY running, session
 * valid); if not, `why` says what is missing. */
bool otg_model_present(otg_model *m, const char **why);
/* Checks the FIFO layout against the FIFO RAM: regions inside it, not overlapping, TX FIFOs of
 * active IN endpoints at least 16 words and one packet deep. False with `why`. */
bool otg_model_fifos_ok(otg_model *m, char *why, size_t why_size);
/* The depth in words of the TX FIFO that IN endpoint n uses. */
unsigned otg_model_tx_depth(otg_model *m, unsigned n);

/* ---- the host side ---- */

/* A bus reset by a host of the given speed; false if no device is there. */
bool otg_model_bus_reset(otg_model *m, bool high_speed_host);
void otg_model_suspend(otg_model *m);
void otg_model_resume(otg_model *m);
/* A SETUP transaction to endpoint 0 of `address`. */
otg_handshake otg_model_setup(otg_model *m, uint8_t address, const uint8_t setup[8]);
/* An OUT transaction of `length` bytes with data PID DATA1 if `data1`. */
otg_handshake otg_model_out(otg_model *m, uint8_t address, uint8_t ep, const uint8_t *data, size_t length, bool data1);
/* An IN transaction: on OTG_ACK, `*length` bytes landed in `buffer` with data PID `*data1`. */
otg_handshake otg_model_in(otg_model *m, uint8_t address, uint8_t ep, uint8_t *buffer, size_t capacity,
                           size_t *length, bool *data1);

#endif
