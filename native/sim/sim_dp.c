/* The SW-DP (ADIv5.2 B2, B4) and its MEM-APs (ADIv5.2 C2), at transaction level. The bit-level
 * wire (sim_wire.c) decodes packets and calls the same functions, so both paths share one
 * implementation of the DP and AP semantics. */
#include "sim_target.h"

/* CTRL/STAT bits (ADIv5.2 B2.2.3) */
#define ORUNDETECT (1u << 0)
#define STICKYORUN (1u << 1)
#define STICKYCMP (1u << 4)
#define STICKYERR (1u << 5)
#define READOK (1u << 6)
#define WDATAERR (1u << 7)
#define CDBGPWRUPREQ (1u << 28)
#define CDBGPWRUPACK (1u << 29)
#define CSYSPWRUPREQ (1u << 30)
#define CSYSPWRUPACK (1u << 31)
#define CTRL_WRITABLE 0x54FFFF0Du /* ORUNDETECT, TRNMODE, MASKLANE, TRNCNT, requests */
#define STICKY (STICKYORUN | STICKYCMP | STICKYERR | WDATAERR)

#define POWER_UP_DELAY_PS 50000000ull /* the power controller answers after 50 µs */

/* CSW (ADIv5.2 C2.6.4) */
#define CSW_SIZE 0x7u
#define CSW_ADDRINC 0x30u
#define CSW_DEVICEEN (1u << 6)
#define CSW_WRITABLE 0xFF000F37u

void sim_dp_set_swd_hz(sim_target *t, uint32_t hz)
{
    if (hz) t->dp.swd_hz = hz;
}

bool sim_dp_set_tar_wrap(sim_target *t, uint32_t bytes)
{
    if (bytes != 1024 && bytes != 2048 && bytes != 4096) return false;
    t->dp.tar_wrap = bytes;
    return true;
}

void sim_dp_init(sim_target *t)
{
    sim_dp *dp = &t->dp;
    dp->swd_hz = 4000000;
    dp->tar_wrap = 4096;
    dp->ap_count = t->profile->ap_count;
    for (unsigned i = 0; i < dp->ap_count && i < SIM_MAX_APS; i++) {
        dp->aps[i].idr = t->profile->aps[i].idr;
        dp->aps[i].base = t->profile->aps[i].base;
        dp->aps[i].cfg = t->profile->aps[i].cfg;
        dp->aps[i].debug_bus = t->profile->aps[i].debug_bus;
        dp->aps[i].ctrl_ap = t->profile->aps[i].ctrl_ap;
    }
}

static void reset_aps(sim_dp *dp)
{
    for (unsigned i = 0; i < dp->ap_count; i++) {
        dp->aps[i].csw = 0x03000042u | CSW_DEVICEEN; /* word size, Prot reset value */
        dp->aps[i].tar = 0;
    }
}

void sim_dp_reset(sim_target *t, sim_reset_kind kind)
{
    if (kind != SIM_RESET_POWER_ON) return; /* the debug port is in the debug power domain */
    sim_dp *dp = &t->dp;
    dp->ctrl_stat = 0;
    dp->select = 0;
    dp->rdbuff = 0;
    dp->turnaround = 1;
    dp->need_dpidr = true;
    dp->deselected = false;
    dp->wire = (sim_wire){.state = SIM_WIRE_JTAG};
    reset_aps(dp);
}

void sim_dp_line_reset(sim_target *t)
{
    t->dp.need_dpidr = true;
    t->dp.deselected = false;
}

void sim_fault_inject(sim_target *t, sim_fault_kind kind, uint32_t count)
{
    sim_dp *dp = &t->dp;
    switch (kind) {
    case SIM_FAULT_WAIT: dp->inject_wait = count; break;
    case SIM_FAULT_FAULT: dp->inject_fault = count ? count : 1; break;
    case SIM_FAULT_NO_ACK:
        dp->inject_no_ack = count;
        dp->inject_no_ack_forever = count == 0;
        break;
    case SIM_FAULT_STICKY_ORUN: dp->ctrl_stat |= STICKYORUN; break;
    case SIM_FAULT_CLEAR:
        dp->inject_wait = dp->inject_fault = dp->inject_no_ack = dp->inject_after = 0;
        dp->inject_no_ack_forever = false;
        break;
    }
}

static uint32_t ctrl_stat_value(const sim_target *t)
{
    const sim_dp *dp = &t->dp;
    uint32_t v = dp->ctrl_stat;
    if (t->now_ps >= dp->power_request_ps + POWER_UP_DELAY_PS) {
        if (v & CDBGPWRUPREQ) v |= CDBGPWRUPACK;
        if (v & CSYSPWRUPREQ) v |= CSYSPWRUPACK;
    }
    return v;
}

/* --- MEM-AP ----------------------------------------------------------------------------------- */

/* One bus access through an AP's view of the system (the H7's APB-AP sees the debug bus only). */
static bool ap_bus(sim_target *t, const sim_ap *ap, uint32_t addr, unsigned size, uint32_t *value, bool write)
{
    const sim_region *r = sim_bus_find(&t->bus, addr);
    if (!r || r->debug_only != ap->debug_bus) return false;
    sim_bus_status s = write ? sim_bus_write(t, addr, size, *value, SIM_MASTER_DEBUG)
                             : sim_bus_read(t, addr, size, value, SIM_MASTER_DEBUG);
    return s == SIM_BUS_OK;
}

/* A DRW or BDn transfer (ADIv5.2 C2.2): sizes 8/16/32, byte lanes from the address, packed
 * transfers, and auto-increment within the TAR block (dp.tar_wrap). */
static bool ap_data(sim_target *t, sim_ap *ap, uint32_t addr, bool increment, bool read, uint32_t *data)
{
    if (sim_nrf52_ap_refused(t, (unsigned)(ap - t->dp.aps))) return false; /* APPROTECT */
    unsigned size = 1u << (ap->csw & CSW_SIZE);
    unsigned inc_mode = increment ? (ap->csw & CSW_ADDRINC) >> 4 : 0;
    unsigned transfers = (inc_mode == 2) ? 4 / size : 1;
    uint32_t result = 0;
    for (unsigned i = 0; i < transfers; i++) {
        uint32_t a = size == 4 ? addr & ~3u : size == 2 ? addr & ~1u : addr;
        unsigned lane = (a & 3) * 8;
        uint32_t v = size == 4 ? *data : (*data >> lane) & ((1u << (size * 8)) - 1);
        if (!ap_bus(t, ap, a, size, &v, !read)) return false;
        if (read) result |= size == 4 ? v : v << lane;
        if (inc_mode) {
            uint32_t block = t->dp.tar_wrap - 1; /* the upper TAR bits never change */
            addr = (addr & ~block) | ((addr + size) & block);
            ap->tar = addr;
        }
    }
    if (read) *data = result;
    return true;
}

static void ap_read(sim_target *t, unsigned apsel, unsigned reg, uint32_t *value)
{
    sim_dp *dp = &t->dp;
    *value = 0;
    if (apsel >= dp->ap_count) return; /* no AP there: reads as zero */
    sim_ap *ap = &dp->aps[apsel];
    if (ap->ctrl_ap) {
        *value = sim_nrf52_ctrl_ap_read(t, reg);
        return;
    }
    switch (reg) {
    case 0x00: *value = ap->csw; break;
    case 0x04: *value = ap->tar; break;
    case 0x0C:
        if (!ap_data(t, ap, ap->tar, true, true, value)) dp->ctrl_stat |= STICKYERR;
        break;
    case 0x10: case 0x14: case 0x18: case 0x1C:
        if (!ap_data(t, ap, (ap->tar & ~0xFu) | (reg & 0xC), false, true, value)) dp->ctrl_stat |= STICKYERR;
        break;
    case 0xF4: *value = ap->cfg; break;
    case 0xF8: *value = ap->base; break;
    case 0xFC: *value = ap->idr; break;
    default: break;
    }
}

static void ap_write(sim_target *t, unsigned apsel, unsigned reg, uint32_t value)
{
    sim_dp *dp = &t->dp;
    if (apsel >= dp->ap_count) return;
    sim_ap *ap = &dp->aps[apsel];
    if (ap->ctrl_ap) {
        sim_nrf52_ctrl_ap_write(t, reg, value);
        return;
    }
    switch (reg) {
    case 0x00: {
        uint32_t size = value & CSW_SIZE;
        if (size > 2) size = ap->csw & CSW_SIZE; /* 64-bit and larger: not implemented */
        ap->csw = (value & CSW_WRITABLE & ~CSW_SIZE) | size | CSW_DEVICEEN;
        break;
    }
    case 0x04: ap->tar = value; break;
    case 0x0C:
        if (!ap_data(t, ap, ap->tar, true, false, &value)) dp->ctrl_stat |= STICKYERR;
        break;
    case 0x10: case 0x14: case 0x18: case 0x1C:
        if (!ap_data(t, ap, (ap->tar & ~0xFu) | (reg & 0xC), false, false, &value)) dp->ctrl_stat |= STICKYERR;
        break;
    default: break; /* CFG, BASE, IDR are read-only */
    }
}

/* --- DP --------------------------------------------------------------------------------------- */

/* ACK for an access when a sticky flag is set (ADIv5.2 B4.2.4): only DPIDR, CTRL/STAT and
 * ABORT stay reachable. */
static bool allowed_while_sticky(bool ap, bool read, unsigned addr)
{
    return !ap && (addr == 0x0 || addr == 0x4 || (read && addr == 0x8));
}

static unsigned fail(sim_dp *dp, unsigned ack)
{
    if (dp->ctrl_stat & ORUNDETECT) dp->ctrl_stat |= STICKYORUN; /* B2.2.3 overrun detection */
    return ack;
}

void sim_fault_defer(sim_target *t, uint32_t transfers)
{
    t->dp.inject_after = transfers;
}

unsigned sim_dp_begin(sim_target *t, bool ap, bool read, unsigned addr, uint32_t *data)
{
    sim_dp *dp = &t->dp;
    bool deferred = dp->inject_after > 0;
    if (deferred) dp->inject_after--;
    if (!deferred && dp->inject_no_ack_forever) return SIM_ACK_NONE;
    if (!deferred && dp->inject_no_ack) {
        dp->inject_no_ack--;
        return SIM_ACK_NONE;
    }
    if (dp->deselected) return SIM_ACK_NONE;
    if (sim_flash_debug_disabled(t)) return SIM_ACK_NONE; /* RDP level 2: the debug port is off */
    if (dp->need_dpidr) {
        if (ap || !read || addr != 0) return SIM_ACK_NONE; /* lock-out until DPIDR is read */
        dp->need_dpidr = false;
    }
    if ((dp->ctrl_stat & STICKY) && !allowed_while_sticky(ap, read, addr)) return fail(dp, SIM_ACK_FAULT);
    bool touches_ap = ap || (read && addr == 0xC);
    if (!deferred && touches_ap && dp->inject_wait) {
        dp->inject_wait--;
        return fail(dp, SIM_ACK_WAIT);
    }
    if (!deferred && ap && dp->inject_fault) {
        dp->inject_fault--;
        dp->ctrl_stat |= STICKYERR;
        return fail(dp, SIM_ACK_FAULT);
    }
    if (ap) {
        if (!(ctrl_stat_value(t) & CDBGPWRUPACK)) { /* debug domain off: the AP cannot answer */
            dp->ctrl_stat |= STICKYERR;
            return fail(dp, SIM_ACK_FAULT);
        }
        if (read) {
            uint32_t value;
            ap_read(t, dp->select >> 24, (dp->select & 0xF0) | addr, &value);
            *data = dp->rdbuff; /* posted: the previous AP read's result */
            dp->rdbuff = value;
            dp->ctrl_stat |= READOK;
        }
        return SIM_ACK_OK;
    }
    if (!read) return SIM_ACK_OK; /* DP writes take effect when their data arrives */
    unsigned bank = dp->select & 0xF;
    switch (addr) {
    case 0x0: *data = t->profile->dpidr; break;
    case 0x4:
        if (bank == 0) *data = ctrl_stat_value(t);
        else if (bank == 1) *data = (dp->turnaround - 1) << 8; /* DLCR.TURNROUND */
        else if (bank == 2 && t->profile->dp_version >= 2) *data = t->profile->targetid;
        else if (bank == 3 && t->profile->dp_version >= 2) *data = 0x00000001u; /* DLPIDR: protocol 1, TINSTANCE 0 */
        else if (bank == 4 && t->profile->dp_version >= 2) *data = 0x00000001u; /* EVENTSTAT: no event */
        else *data = 0;
        break;
    case 0x8: *data = dp->rdbuff; break; /* RESEND */
    default: *data = dp->rdbuff; break;  /* RDBUFF: no new AP access */
    }
    return SIM_ACK_OK;
}

void sim_dp_finish_write(sim_target *t, bool ap, unsigned addr, uint32_t data, bool parity_ok)
{
    sim_dp *dp = &t->dp;
    if (!parity_ok) {
        dp->ctrl_stat |= WDATAERR; /* B4.2.3: the write is discarded */
        return;
    }
    if (ap) {
        ap_write(t, dp->select >> 24, (dp->select & 0xF0) | addr, data);
        return;
    }
    switch (addr) {
    case 0x0: /* ABORT (B2.2.1) */
        if (data & (1u << 1)) dp->ctrl_stat &= ~STICKYCMP;
        if (data & (1u << 2)) dp->ctrl_stat &= ~STICKYERR;
        if (data & (1u << 3)) dp->ctrl_stat &= ~WDATAERR;
        if (data & (1u << 4)) dp->ctrl_stat &= ~STICKYORUN;
        break;
    case 0x4:
        if ((dp->select & 0xF) == 0) {
            uint32_t requests = CDBGPWRUPREQ | CSYSPWRUPREQ;
            if ((data ^ dp->ctrl_stat) & requests) dp->power_request_ps = t->now_ps;
            dp->ctrl_stat = (dp->ctrl_stat & STICKY) | (data & CTRL_WRITABLE);
        } else if ((dp->select & 0xF) == 1) {
            dp->turnaround = ((data >> 8) & 3) + 1; /* DLCR.TURNROUND */
        }
        break;
    case 0x8: dp->select = data; break;
    default: break; /* TARGETSEL outside the selection phase is ignored */
    }
}

unsigned sim_dp_transfer(sim_target *t, bool ap, bool read, unsigned addr, uint32_t *data)
{
    sim_dp *dp = &t->dp;
    /* request 8, turnaround, ACK 3, data 33, turnaround: the wire time of one transfer */
    unsigned cycles = 8 + dp->turnaround + 3 + 33 + dp->turnaround;
    sim_target_advance(t, sim_time_cycles_to_ps(cycles, dp->swd_hz));
    if (dp->wire.state != SIM_WIRE_IDLE && dp->wire.state != SIM_WIRE_LINE_RESET) return SIM_ACK_NONE;
    addr &= 0xC;
    unsigned ack = sim_dp_begin(t, ap, read, addr, data);
    if (ack == SIM_ACK_OK && !read) sim_dp_finish_write(t, ap, addr, *data, true);
    if (ack == SIM_ACK_OK) dp->wire.state = SIM_WIRE_IDLE;
    return ack;
}
