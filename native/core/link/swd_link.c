#include "link/swd_link.h"

#define RDBUFF_READ (SWD_REQ_READ | SWD_REQ_A2 | SWD_REQ_A3)

static dp_link_status status_of(swd_result r)
{
    switch (r) {
    case SWD_ACK_OK: return DP_LINK_OK;
    case SWD_ACK_WAIT: return DP_LINK_WAIT;
    case SWD_ACK_FAULT: return DP_LINK_FAULT;
    case SWD_PARITY_ERROR: return DP_LINK_PARITY;
    default: return DP_LINK_NO_RESPONSE;
    }
}

/* One transfer with WAIT retries; once an error is recorded, later transfers are skipped
 * until flush, as a queued link would drop the rest of its packet. */
static dp_link_status xfer(swd_link *l, uint8_t request, uint32_t *data)
{
    if (l->error != DP_LINK_OK) return l->error;
    swd_result r;
    unsigned retries = l->wait_retries;
    do {
        r = swd_transfer(l->phy, &l->config, request, data);
    } while (r == SWD_ACK_WAIT && retries-- > 0);
    l->error = status_of(r);
    return l->error;
}

static uint8_t request_bits(bool ap, bool read, uint8_t addr)
{
    return (uint8_t)((ap ? SWD_REQ_AP : 0) | (read ? SWD_REQ_READ : 0) | ((addr >> 2) & 3) << 2);
}

static dp_link_status link_connect(dp_link *link, bool dormant, uint32_t *dpidr)
{
    swd_link *l = (swd_link *)link;
    l->error = DP_LINK_OK;
    if (dormant) swd_dormant_to_swd(l->phy);
    else swd_jtag_to_swd(l->phy);
    dp_link_status s = xfer(l, request_bits(false, true, 0), dpidr);
    l->error = DP_LINK_OK;
    return s;
}

static dp_link_status link_read(dp_link *link, bool ap, uint8_t addr, uint32_t *value)
{
    swd_link *l = (swd_link *)link;
    if (addr & ~0xCu) return DP_LINK_INVALID;
    uint32_t ignored;
    if (!ap) return xfer(l, request_bits(false, true, addr), value);
    /* AP reads are posted (ADIv5.2 B4.2.5): the value comes back with the RDBUFF read. */
    if (xfer(l, request_bits(true, true, addr), &ignored) != DP_LINK_OK) return l->error;
    return xfer(l, RDBUFF_READ, value);
}

static dp_link_status link_write(dp_link *link, bool ap, uint8_t addr, uint32_t value)
{
    swd_link *l = (swd_link *)link;
    if (addr & ~0xCu) return DP_LINK_INVALID;
    return xfer(l, request_bits(ap, false, addr), &value);
}

static dp_link_status link_read_block(dp_link *link, uint32_t *values, size_t count)
{
    swd_link *l = (swd_link *)link;
    uint32_t ignored;
    if (count == 0) return l->error;
    if (xfer(l, request_bits(true, true, 0xC), &ignored) != DP_LINK_OK) return l->error;
    for (size_t i = 0; i + 1 < count; i++)
        if (xfer(l, request_bits(true, true, 0xC), &values[i]) != DP_LINK_OK) return l->error;
    return xfer(l, RDBUFF_READ, &values[count - 1]);
}

static dp_link_status link_write_block(dp_link *link, const uint32_t *values, size_t count)
{
    swd_link *l = (swd_link *)link;
    for (size_t i = 0; i < count; i++) {
        uint32_t v = values[i];
        if (xfer(l, request_bits(true, false, 0xC), &v) != DP_LINK_OK) return l->error;
    }
    return l->error;
}

/* A write's FAULT shows on the next access: flush reads RDBUFF to see it (ADIv5.2 B4.2.3). */
static dp_link_status link_flush(dp_link *link)
{
    swd_link *l = (swd_link *)link;
    uint32_t ignored;
    xfer(l, RDBUFF_READ, &ignored);
    dp_link_status s = l->error;
    l->error = DP_LINK_OK;
    return s;
}

static dp_link_status link_reset_pin(dp_link *link, bool asserted)
{
    swd_link *l = (swd_link *)link;
    if (!l->phy->pins) return DP_LINK_INVALID;
    l->phy->pins(l->phy->ctx, asserted ? 0 : SWD_PIN_NRESET, SWD_PIN_NRESET);
    return DP_LINK_OK;
}

static dp_link_status link_read_match(dp_link *link, bool ap, uint8_t addr, uint32_t mask, uint32_t match)
{
    swd_link *l = (swd_link *)link;
    uint32_t v = 0;
    for (unsigned i = 0; i <= DP_LINK_MATCH_RETRIES; i++) {
        if (link_read(link, ap, addr, &v) != DP_LINK_OK) return l->error;
        if ((v & mask) == match) return DP_LINK_OK;
    }
    l->error = DP_LINK_MISMATCH; /* later transfers are skipped until flush */
    return l->error;
}

static const dp_link_ops swd_link_ops = {
    link_connect, link_read, link_write, link_read_block, link_write_block, link_flush, link_reset_pin,
    link_read_match,
};

void swd_link_init(swd_link *l, const swd_phy *phy)
{
    l->link.ops = &swd_link_ops;
    l->phy = phy;
    l->config = (swd_config){.turnaround = 1, .data_phase = false, .idle_cycles = 2};
    l->wait_retries = 100;
    l->error = DP_LINK_OK;
}
