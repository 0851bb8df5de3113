/* The SWD wire seen from the target, one clock at a time (ADIv5.2 B4 packets, B5 SWJ-DP select
 * and dormant sequences). The host side calls sim_wire_out / sim_wire_in; packet semantics are
 * in sim_dp.c, shared with the transaction-level entry point. */
#include "sim_target.h"

/* Selection alert (ADIv5.2 B5.3.4), 128 bits sent LSB first, first word first. */
static const uint32_t selection_alert[4] = {0x6209F392u, 0x86852D95u, 0xE3DDAFE9u, 0x19BC0EA2u};

#define JTAG_TO_SWD 0xE79Eu     /* 16 bits, after 50 ones (B5.2.1) */
#define SWD_TO_JTAG 0xE73Cu
#define SWD_TO_DORMANT 0xE3BCu  /* 16 bits, after a line reset (B5.3.3) */
#define JTAG_TO_DORMANT 0x33BBBBBAu /* 31 bits (B5.3.2) */
#define SWD_ACTIVATION 0x1Au    /* 8 bits after 4 low cycles (B5.3.4) */

static void line_reset(sim_target *t)
{
    sim_wire *w = &t->dp.wire;
    w->state = SIM_WIRE_LINE_RESET;
    w->after_reset = 0;
    sim_dp_line_reset(t);
}

static void record(sim_wire *w, unsigned bit)
{
    w->history[0] = (w->history[0] >> 1) | (w->history[1] << 31);
    w->history[1] = (w->history[1] >> 1) | (w->history[2] << 31);
    w->history[2] = (w->history[2] >> 1) | (w->history[3] << 31);
    w->history[3] = (w->history[3] >> 1) | ((uint32_t)bit << 31);
}

static bool alert_seen(const sim_wire *w)
{
    for (unsigned i = 0; i < 4; i++)
        if (w->history[i] != selection_alert[i]) return false;
    return true;
}

/* Sequences that select a protocol (JTAG state, dormant state). */
static void select_sequences(sim_target *t, unsigned bit, uint32_t ones_before)
{
    sim_wire *w = &t->dp.wire;
    bool dpv2 = t->profile->dp_version >= 2;
    if (w->state == SIM_WIRE_JTAG) {
        if (dpv2 && (w->history[3] >> 1) == JTAG_TO_DORMANT) {
            w->state = SIM_WIRE_DORMANT;
            w->select_bits = 0;
            return;
        }
        if (w->select_bits == 0 && ones_before >= 50 && bit == 0) {
            w->select_bits = 1;
            w->select_shift = 0;
        } else if (w->select_bits) {
            w->select_shift |= (uint32_t)bit << w->select_bits;
            if (++w->select_bits == 16) {
                w->select_bits = 0;
                if (w->select_shift == JTAG_TO_SWD) w->state = SIM_WIRE_NEED_RESET;
            }
        }
        return;
    }
    /* dormant */
    if (!w->alerted) {
        if (alert_seen(w)) {
            w->alerted = true;
            w->select_bits = 0;
            w->select_shift = 0;
        }
        return;
    }
    w->select_shift |= (uint32_t)bit << w->select_bits;
    if (++w->select_bits == 12) { /* 4 low cycles, then the 8-bit activation code */
        w->alerted = false;
        w->select_bits = 0;
        if ((w->select_shift & 0xF) == 0 && (w->select_shift >> 4) == SWD_ACTIVATION)
            w->state = SIM_WIRE_NEED_RESET;
    }
}

static void decode_request(sim_target *t)
{
    sim_wire *w = &t->dp.wire;
    uint32_t r = w->request;
    bool ap = r >> 1 & 1, read = r >> 2 & 1;
    unsigned addr = (r >> 3 & 3) << 2;
    unsigned parity = (r >> 1 & 1) ^ (r >> 2 & 1) ^ (r >> 3 & 1) ^ (r >> 4 & 1);
    if ((r >> 5 & 1) != parity || (r >> 6 & 1) != 0 || (r >> 7 & 1) != 1) {
        w->state = SIM_WIRE_LOCKOUT; /* protocol error: no response (B4.2.5) */
        return;
    }
    if (t->profile->dp_version >= 2 && !ap && !read && addr == 0xC && t->dp.need_dpidr) {
        w->state = SIM_WIRE_TARGETSEL; /* multidrop selection: the target never drives */
        w->count = 2 * t->dp.turnaround + 3;
        w->data = 0;
        w->select_bits = 0;
        return;
    }
    uint32_t data = 0;
    w->ack = sim_dp_begin(t, ap, read, addr, &data);
    if (w->ack == SIM_ACK_NONE) {
        w->state = SIM_WIRE_LOCKOUT;
        return;
    }
    unsigned parity_bit = (unsigned)__builtin_popcount(data) & 1;
    w->data = data | (uint64_t)parity_bit << 32;
    w->state = SIM_WIRE_TURN_TO_ACK;
    w->count = t->dp.turnaround;
}

/* One clock. `level` is the line as the target samples it in the states where the host drives;
 * returns what the target drives, or 1 when nobody drives (pull-up). */
static unsigned clock_one(sim_target *t, unsigned level)
{
    sim_wire *w = &t->dp.wire;
    unsigned out = 1;
    bool swd = w->state != SIM_WIRE_JTAG && w->state != SIM_WIRE_DORMANT;
    switch (w->state) {
    case SIM_WIRE_TURN_TO_ACK:
        if (--w->count == 0) {
            w->state = SIM_WIRE_ACK;
            w->count = 0;
        }
        return out;
    case SIM_WIRE_ACK:
        out = (w->ack >> w->count) & 1;
        if (++w->count == 3) {
            bool read = w->request >> 2 & 1;
            bool data_phase = w->ack == SIM_ACK_OK || (t->dp.ctrl_stat & 1); /* ORUNDETECT */
            if (!data_phase) {
                w->state = SIM_WIRE_TURN_BACK;
                w->count = t->dp.turnaround;
            } else if (read) {
                if (w->ack != SIM_ACK_OK) w->data = 0;
                w->state = SIM_WIRE_READ_DATA;
                w->count = 0;
            } else {
                w->state = SIM_WIRE_WRITE_TURN;
                w->count = t->dp.turnaround;
            }
        }
        return out;
    case SIM_WIRE_READ_DATA:
        out = (unsigned)(w->data >> w->count) & 1;
        if (++w->count == 33) {
            w->state = SIM_WIRE_TURN_BACK;
            w->count = t->dp.turnaround;
        }
        return out;
    case SIM_WIRE_TURN_BACK:
        if (--w->count == 0) w->state = SIM_WIRE_IDLE;
        return out;
    case SIM_WIRE_WRITE_TURN:
        if (--w->count == 0) {
            w->state = SIM_WIRE_WRITE_DATA;
            w->count = 0;
            w->data = 0;
        }
        return out;
    default: break;
    }

    /* States in which the host drives the line. */
    uint32_t ones_before = w->ones;
    w->ones = level ? w->ones + 1 : 0;
    record(w, level);
    if (!swd) {
        select_sequences(t, level, ones_before);
        return out;
    }
    if (w->ones >= 50) { /* line reset, whatever the state (B4.3.3) */
        if (w->state != SIM_WIRE_LINE_RESET) line_reset(t);
        return out;
    }
    if (w->state == SIM_WIRE_LINE_RESET) {
        if (!level) {
            w->state = SIM_WIRE_IDLE;
            w->after_reset = 1;
            w->after_reset_shift = 0;
        }
        return out;
    }
    /* SWD-to-dormant and SWD-to-JTAG: 16 bits straight after a line reset. */
    if (w->after_reset && w->after_reset < 16) {
        w->after_reset_shift |= (uint32_t)level << w->after_reset;
        if (++w->after_reset == 16) {
            w->after_reset = 0;
            if (w->after_reset_shift == SWD_TO_DORMANT && t->profile->dp_version >= 2) {
                w->state = SIM_WIRE_DORMANT;
                return out;
            }
            if (w->after_reset_shift == SWD_TO_JTAG) {
                w->state = SIM_WIRE_JTAG;
                w->select_bits = 0;
                return out;
            }
        }
    }
    switch (w->state) {
    case SIM_WIRE_IDLE:
        if (level) {
            w->state = SIM_WIRE_REQUEST;
            w->request = 1;
            w->count = 1;
        }
        break;
    case SIM_WIRE_REQUEST:
        w->request |= (uint32_t)level << w->count;
        if (++w->count == 8) decode_request(t);
        break;
    case SIM_WIRE_WRITE_DATA:
        w->data |= (uint64_t)level << w->count;
        if (++w->count == 33) {
            uint32_t data = (uint32_t)w->data;
            bool parity_ok = ((unsigned)__builtin_popcount(data) & 1) == ((w->data >> 32) & 1);
            if (w->ack == SIM_ACK_OK)
                sim_dp_finish_write(t, w->request >> 1 & 1, (w->request >> 3 & 3) << 2, data, parity_ok);
            w->state = SIM_WIRE_IDLE;
        }
        break;
    case SIM_WIRE_TARGETSEL:
        if (w->count) {
            w->count--;
            break;
        }
        w->data |= (uint64_t)level << w->select_bits;
        if (++w->select_bits == 33) {
            /* TARGETSEL: TINSTANCE[31:28], TPARTNO and TDESIGNER as in TARGETID (B2.2.10). */
            uint32_t value = (uint32_t)w->data;
            bool parity_ok = ((unsigned)__builtin_popcount(value) & 1) == ((w->data >> 32) & 1);
            unsigned instance = value >> 28;
            bool part = parity_ok && (value & 0x0FFFFFFFu) == (t->profile->targetid & 0x0FFFFFFFu);
            /* The RP2040's rescue DP answers on core 0's side of the wire (sim_rp2040.c). */
            bool rescue = part && !t->secondary && t->profile->rescue_instance &&
                          instance == t->profile->rescue_instance;
            bool match = (part && instance == t->instance) || rescue;
            w->select_bits = 0;
            t->dp.deselected = !match;
            t->dp.rescue = rescue;
            w->state = match ? SIM_WIRE_IDLE : SIM_WIRE_LOCKOUT;
        }
        break;
    default: break; /* NEED_RESET, LOCKOUT: ignore everything but a line reset */
    }
    return out;
}

/* A multidrop part's DPs all listen to the wire (core 1's target is core 0's peer); a DP that
 * is not selected does not drive it, so what the host samples is what the selected one drives
 * (the line is pulled up: a DP that does not drive reads as 1). */
void sim_wire_out(sim_target *t, uint32_t bits, unsigned n)
{
    if (n == 0 || n > 32) return;
    sim_target_advance(t, sim_time_cycles_to_ps(n, t->dp.swd_hz));
    for (unsigned i = 0; i < n; i++) {
        clock_one(t, (bits >> i) & 1);
        if (t->peer && !t->secondary) clock_one(t->peer, (bits >> i) & 1);
    }
}

uint32_t sim_wire_in(sim_target *t, unsigned n)
{
    if (n == 0 || n > 32) return 0;
    sim_target_advance(t, sim_time_cycles_to_ps(n, t->dp.swd_hz));
    uint32_t value = 0;
    for (unsigned i = 0; i < n; i++) {
        /* With nobody driving, the pull-up makes the line read 1; the target samples that. */
        unsigned out = clock_one(t, 1);
        if (t->peer && !t->secondary) out &= clock_one(t->peer, 1);
        value |= (uint32_t)out << i;
    }
    return value;
}
