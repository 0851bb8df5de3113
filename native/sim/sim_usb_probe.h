/* The virtual probe: the CMSIS-DAP engine on the simulated wire, behind a model of USB
 * scheduling in virtual time (docs/ARCHITECTURE.md, "Virtual time"):
 *  - full-speed HID: one 64-byte report per 1 ms frame each way;
 *  - high-speed bulk: 512-byte packets, 125 µs microframes (up to 13 bulk packets each).
 * The host's clock and the probe's are kept apart so that packets in flight overlap USB frames
 * with SWD work, as on a real probe. */
#ifndef SIM_USB_PROBE_H
#define SIM_USB_PROBE_H

#include "dap/dap.h"
#include "link/cmsis_dap_link.h"
#include "sim_types.h"

typedef enum { SIM_USB_FULL_SPEED_HID, SIM_USB_HIGH_SPEED_BULK } sim_usb_kind;

#define SIM_USB_MAX_IN_FLIGHT 8

/* What every simulated probe answers to DAP_Info (vendor, product, serial, protocol and firmware
 * versions): the virtual probe here, and the in-process engines of the addon. */
extern const dap_strings sim_probe_strings;

typedef struct sim_usb_probe {
    sim_target *target;
    swd_phy phy;
    dap_engine engine;
    dap_transport transport;  /* hand this to cmsis_dap_link_init */
    uint64_t frame_ps;        /* 1 ms, or 125 µs */
    unsigned packet_bytes;    /* USB packet size: 64 or 512 */
    unsigned packets_per_frame;
    uint64_t host_ps;         /* the host's clock: when it has its last response */
    uint64_t out_free_ps;     /* the OUT direction is busy until then */
    uint64_t in_free_ps;
    uint64_t usb_packets;     /* USB packets each way, counted */
    uint64_t dap_packets;     /* CMSIS-DAP command packets */
    /* responses in flight, oldest first */
    unsigned head, count;
    uint64_t ready_ps[SIM_USB_MAX_IN_FLIGHT];
    uint16_t length[SIM_USB_MAX_IN_FLIGHT];
    uint8_t data[SIM_USB_MAX_IN_FLIGHT][DAP_MAX_PACKET_SIZE];
} sim_usb_probe;

/* Packet size 64 (HID) or 512 (bulk), packet count 4 (HID) or 8 (bulk). */
void sim_usb_probe_init(sim_usb_probe *p, sim_target *t, sim_usb_kind kind);

#endif
