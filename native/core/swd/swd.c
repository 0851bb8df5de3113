#include "swd.h"

static unsigned parity32(uint32_t v)
{
    v ^= v >> 16;
    v ^= v >> 8;
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return v & 1;
}

swd_result swd_transfer(const swd_phy *phy, const swd_config *cfg, uint8_t request, uint32_t *data)
{
    unsigned r = request & 0xF;
    /* start, APnDP, RnW, A2, A3, parity, stop (0), park (1) */
    uint32_t packet = 1u | r << 1 | parity32(r) << 5 | 1u << 7;
    bool read = (request & SWD_REQ_READ) != 0;
    phy->write_bits(phy->ctx, packet, 8);
    phy->read_bits(phy->ctx, cfg->turnaround);
    unsigned ack = phy->read_bits(phy->ctx, 3) & 7;
    swd_result result = (swd_result)ack;
    if (ack == SWD_ACK_OK) {
        if (read) {
            uint32_t value = phy->read_bits(phy->ctx, 32);
            unsigned parity = phy->read_bits(phy->ctx, 1) & 1;
            phy->read_bits(phy->ctx, cfg->turnaround);
            if (parity != parity32(value)) result = SWD_PARITY_ERROR;
            *data = value;
        } else {
            phy->read_bits(phy->ctx, cfg->turnaround);
            phy->write_bits(phy->ctx, *data, 32);
            phy->write_bits(phy->ctx, parity32(*data), 1);
        }
    } else if (ack == SWD_ACK_WAIT || ack == SWD_ACK_FAULT) {
        if (cfg->data_phase) { /* the target expects a data phase with overrun detection */
            if (read) {
                phy->read_bits(phy->ctx, 32);
                phy->read_bits(phy->ctx, 1);
                phy->read_bits(phy->ctx, cfg->turnaround);
            } else {
                phy->read_bits(phy->ctx, cfg->turnaround);
                phy->write_bits(phy->ctx, 0, 32);
                phy->write_bits(phy->ctx, 0, 1);
            }
        } else {
            phy->read_bits(phy->ctx, cfg->turnaround);
        }
    } else {
        /* No (valid) ACK: back off for a whole data phase so the line is free again. */
        phy->read_bits(phy->ctx, cfg->turnaround);
        phy->read_bits(phy->ctx, 32);
        phy->read_bits(phy->ctx, 1);
        result = SWD_ACK_NONE;
    }
    unsigned idle = cfg->idle_cycles;
    while (idle) {
        unsigned n = idle > 32 ? 32 : idle;
        phy->write_bits(phy->ctx, 0, n);
        idle -= n;
    }
    return result;
}

void swd_write_sequence(const swd_phy *phy, const uint8_t *bits, unsigned count)
{
    unsigned done = 0;
    while (done < count) {
        unsigned n = count - done > 8 ? 8 : count - done;
        phy->write_bits(phy->ctx, bits[done / 8], n);
        done += n;
    }
}

void swd_read_sequence(const swd_phy *phy, uint8_t *bits, unsigned count)
{
    unsigned done = 0;
    while (done < count) {
        unsigned n = count - done > 8 ? 8 : count - done;
        bits[done / 8] = (uint8_t)phy->read_bits(phy->ctx, n);
        done += n;
    }
}

static void ones(const swd_phy *phy, unsigned count)
{
    while (count) {
        unsigned n = count > 32 ? 32 : count;
        phy->write_bits(phy->ctx, 0xFFFFFFFFu, n);
        count -= n;
    }
}

void swd_line_reset(const swd_phy *phy)
{
    ones(phy, 60);
    phy->write_bits(phy->ctx, 0, 2);
}

void swd_jtag_to_swd(const swd_phy *phy)
{
    ones(phy, 60);
    phy->write_bits(phy->ctx, 0xE79E, 16);
    swd_line_reset(phy);
}

void swd_dormant_to_swd(const swd_phy *phy)
{
    static const uint32_t alert[4] = {0x6209F392u, 0x86852D95u, 0xE3DDAFE9u, 0x19BC0EA2u};
    ones(phy, 60);
    phy->write_bits(phy->ctx, 0x33BBBBBAu, 31); /* JTAG-to-dormant, in case JTAG is selected */
    ones(phy, 8);
    for (unsigned i = 0; i < 4; i++) phy->write_bits(phy->ctx, alert[i], 32);
    phy->write_bits(phy->ctx, 0, 4);
    phy->write_bits(phy->ctx, 0x1A, 8); /* SWD activation code */
    swd_line_reset(phy);
}

void swd_targetsel_bits(uint32_t targetsel, uint8_t request[1], uint8_t data[5])
{
    /* start 1, APnDP 0, RnW 0, A[3:2] = 11, parity 0, stop 0, park 1 */
    request[0] = 0x99;
    unsigned parity = 0;
    for (unsigned i = 0; i < 32; i++) parity ^= (targetsel >> i) & 1u;
    for (unsigned i = 0; i < 4; i++) data[i] = (uint8_t)(targetsel >> (8 * i));
    data[4] = (uint8_t)parity;
}

void swd_targetsel(const swd_phy *phy, uint32_t targetsel)
{
    uint8_t request[1], data[5], ignored[1];
    swd_targetsel_bits(targetsel, request, data);
    swd_write_sequence(phy, request, 8);
    swd_read_sequence(phy, ignored, 5);
    swd_write_sequence(phy, data, 33);
}
