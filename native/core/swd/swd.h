/* SWD line protocol over a swd_phy (ADIv5.2 B4): one transfer, line reset and the SWJ-DP
 * select sequences (B5). */
#ifndef SWD_H
#define SWD_H

#include <stdbool.h>
#include <stdint.h>

#include "swd_phy.h"

/* The outcome of a transfer: the ACK, or a read data parity error. */
typedef enum {
    SWD_ACK_OK = 1,
    SWD_ACK_WAIT = 2,
    SWD_ACK_FAULT = 4,
    SWD_ACK_NONE = 7,
    SWD_PARITY_ERROR = 8
} swd_result;

typedef struct swd_config {
    uint8_t turnaround;   /* 1..4 cycles */
    bool data_phase;      /* clock a data phase after WAIT and FAULT (for ORUNDETECT) */
    uint8_t idle_cycles;  /* idle cycles after each transfer */
} swd_config;

/* Request bits as CMSIS-DAP and ADIv5 number them: APnDP, RnW, A2, A3. */
enum { SWD_REQ_AP = 1u << 0, SWD_REQ_READ = 1u << 1, SWD_REQ_A2 = 1u << 2, SWD_REQ_A3 = 1u << 3 };

/* One transfer: `request` holds APnDP, RnW, A[3:2] in its low 4 bits. Reads store the data. */
swd_result swd_transfer(const swd_phy *phy, const swd_config *cfg, uint8_t request, uint32_t *data);
/* Clocks out `count` bits from `bits` (LSB of bits[0] first). */
void swd_write_sequence(const swd_phy *phy, const uint8_t *bits, unsigned count);
/* Clocks in `count` bits into `bits` (cleared first), LSB of bits[0] first. */
void swd_read_sequence(const swd_phy *phy, uint8_t *bits, unsigned count);
void swd_line_reset(const swd_phy *phy);
/* Line reset, JTAG-to-SWD select, line reset, idle (B5.2.1). */
void swd_jtag_to_swd(const swd_phy *phy);
/* Line reset, JTAG-to-dormant, selection alert, SWD activation, line reset (B5.3): for DPv2. */
void swd_dormant_to_swd(const swd_phy *phy);

/* The multidrop TARGETSEL write (B4.3.4), after a line reset: the request (8 bits out), five
 * cycles nobody drives (turnaround, the ACK no target gives, turnaround), then the value and
 * its parity (33 bits out). swd_targetsel_bits gives the two outgoing parts as bit strings
 * (LSB first): `request` 1 byte, `data` 5 bytes. */
void swd_targetsel_bits(uint32_t targetsel, uint8_t request[1], uint8_t data[5]);
void swd_targetsel(const swd_phy *phy, uint32_t targetsel);

#endif
