/* The transaction-level seam (docs/ARCHITECTURE.md, "The two seams"): DP and AP register accesses and block transfers,
 * queued and flushed, so that a remote link can pack many of them into one USB packet.
 * Implementations: swd_link (over a bit-level swd_phy), cmsis_dap_link (over a probe). */
#ifndef DP_LINK_H
#define DP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/* How many times read_match reads before it gives up (DAP_TransferConfigure's match retry). At
 * 4 MHz SWD that is about 11 ms (46 clocks a read on CMSIS-DAP; swd_link reads RDBUFF too, so
 * twice that): long enough for the flash loader to wait on the probe for a buffer to be
 * programmed (flash_loader.c) instead of asking in a packet each time. At clocks below about
 * 50 kHz a match that runs out would outlast the host's 1 s transport time-out; nothing here
 * sets a probe's clock that low. */
#define DP_LINK_MATCH_RETRIES 1000u

typedef struct dp_link dp_link;

typedef struct dp_link_ops {
    /* Select SWD on the wire (JTAG-to-SWD, or the dormant wake-up for DPv2 parts), line reset,
     * TARGETSEL when link->targetsel is set, and read DPIDR, which must follow a line reset.
     * Executes at once. */
    bmp_status (*connect)(dp_link *link, bool dormant, uint32_t *dpidr);
    /* Queue a DP (ap = false) or AP register access; `addr` is A[3:2] as 0, 4, 8 or 0xC.
     * A read's value lands in *value by the time flush returns. */
    bmp_status (*read)(dp_link *link, bool ap, uint8_t addr, uint32_t *value);
    bmp_status (*write)(dp_link *link, bool ap, uint8_t addr, uint32_t value);
    /* Queue `count` reads or writes of the AP's DRW with the current SELECT, CSW and TAR. A
     * write block's values are consumed before the call returns (the caller may reuse them). */
    bmp_status (*read_block)(dp_link *link, uint32_t *values, size_t count);
    bmp_status (*write_block)(dp_link *link, const uint32_t *values, size_t count);
    /* Execute everything queued; returns the first error (and forgets the rest of the queue). */
    bmp_status (*flush)(dp_link *link);
    /* Drive the target's nRST line (asserted = low); executes at once. */
    bmp_status (*reset_pin)(dp_link *link, bool asserted);
    /* Queue a read that repeats until (value & mask) == match, up to DP_LINK_MATCH_RETRIES
     * more times; no value is returned. If it never matches, flush returns BMP_ERR_MISMATCH and
     * the rest of the queue may be dropped. It lets a batch wait for a status bit (the core
     * halted after a step) and go on, without a round trip (CMSIS-DAP: value match). */
    bmp_status (*read_match)(dp_link *link, bool ap, uint8_t addr, uint32_t mask, uint32_t match);
} dp_link_ops;

struct dp_link {
    const dp_link_ops *ops;
    /* SWD multidrop (ADIv5.2 B4.3.4): nonzero, connect writes this to TARGETSEL right after the
     * line reset (no target answers that write) and reads DPIDR of the DP it selected; 0 for a
     * plain point-to-point wire. */
    uint32_t targetsel;
};

#endif
