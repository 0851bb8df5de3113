#include "link/swd_link.h"

#define RDBUFF_READ (SWD_REQ_READ | SWD_REQ_A2 | SWD_REQ_A3)

static bmp_status status_of(swd_result r)
{
    switch (r) {
    case SWD_ACK_OK: return BMP_OK;
    case SWD_ACK_WAIT: return BMP_ERR_WAIT;
    case SWD_ACK_FAULT: return BMP_ERR_FAULT;
    case SWD_PARITY_ERROR: return BMP_ERR_PARITY;
    default: return BMP_ERR_NO_RESPONSE;
    }
}

/* One transfer with WAIT retries; once an error is recorded, later transfers are skipped
 * until flush, as a queued link would drop the rest of its packet. */
static bmp_status xfer(swd_link *l, uint8_t request, uint32_t *data)
{
    if (l->error != BMP_OK) return l->error;
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

static bmp_status link_connect(dp_link *link, bool dormant, uint32_t *dpidr)
{
    swd_link *l = (swd_link *)link;
    l->error = BMP_OK;
    if (dormant) swd_dormant_to_swd(l->phy);
    else swd_jtag_to_swd(l->phy);
    if (link->targetsel) swd_targetsel(l->phy, link->targetsel);
    bmp_status s = xfer(l, request_bits(false, true, 0), dpidr);
    l->error = BMP_OK;
    return s;
}

static bmp_status link_read(dp_link *link, bool ap, uint8_t addr, uint32_t *value)
{
    swd_link *l = (swd_link *)link;
    if (addr & ~0xCu) return BMP_ERR_INVALID;
    uint32_t ignored;
    if (!ap) return xfer(l, request_bits(false, true, addr), value);
    /* AP reads are posted (ADIv5.2 B4.2.5): the value comes back with the RDBUFF read. */
    if (xfer(l, request_bits(true, true, addr), &ignored) != BMP_OK) return l->error;
    return xfer(l, RDBUFF_READ, value);
}

static bmp_status link_write(dp_link *link, bool ap, uint8_t addr, uint32_t value)
{
    swd_link *l = (swd_link *)link;
    if (addr & ~0xCu) return BMP_ERR_INVALID;
    return xfer(l, request_bits(ap, false, addr), &value);
}

static bmp_status link_read_block(dp_link *link, uint32_t *values, size_t count)
{
    swd_link *l = (swd_link *)link;
    uint32_t ignored;
    if (count == 0) return l->error;
    if (xfer(l, request_bits(true, true, 0xC), &ignored) != BMP_OK) return l->error;
    for (size_t i = 0; i + 1 < count; i++)
        if (xfer(l, request_bits(true, true, 0xC), &values[i]) != BMP_OK) return l->error;
    return xfer(l, RDBUFF_READ, &values[count - 1]);
}

static bmp_status link_write_block(dp_link *link, const uint32_t *values, size_t count)
{
    swd_link *l = (swd_link *)link;
    for (size_t i = 0; i < count; i++) {
        uint32_t v = values[i];
        if (xfer(l, request_bits(true, false, 0xC), &v) != BMP_OK) return l->error;
    }
    return l->error;
}

/* A write's FAULT shows on the next access: flush reads RDBUFF to see it (ADIv5.2 B4.2.3). */
static bmp_status link_flush(dp_link *link)
{
    swd_link *l = (swd_link *)link;
    uint32_t ignored;
    xfer(l, RDBUFF_READ, &ignored);
    bmp_status s = l->error;
    l->error = BMP_OK;
    return s;
}

static bmp_status link_reset_pin(dp_link *link, bool asserted)
{
    swd_link *l = (swd_link *)link;
    if (!l->phy->pins) return BMP_ERR_INVALID;
    l->phy->pins(l->phy->ctx, asserted ? 0 : SWD_PIN_NRESET, SWD_PIN_NRESET);
    return BMP_OK;
}

static bmp_status link_read_match(dp_link *link, bool ap, uint8_t addr, uint32_t mask, uint32_t match)
{
    swd_link *l = (swd_link *)link;
    uint32_t v = 0;
    for (unsigned i = 0; i <= DP_LINK_MATCH_RETRIES; i++) {
        if (link_read(link, ap, addr, &v) != BMP_OK) return l->error;
        if ((v & mask) == match) return BMP_OK;
    }
    l->error = BMP_ERR_MISMATCH; /* later transfers are skipped until flush */
    return l->error;
}

static const dp_link_ops swd_link_ops = {
    link_connect, link_read, link_write, link_read_block, link_write_block, link_flush, link_reset_pin,
    link_read_match,
};

void swd_link_init(swd_link *l, const swd_phy *phy)
{
    l->link.ops = &swd_link_ops;
    l->link.targetsel = 0;
    l->phy = phy;
    l->config = (swd_config){.turnaround = 1, .data_phase = false, .idle_cycles = 2};
    l->wait_retries = 100;
    l->error = BMP_OK;
}
