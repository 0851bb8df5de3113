/* The DWC2 OTG core model (see otg_model.h). Register names and bits come from the driver's
 * register header (firmware/usb/usb_dwc2_regs.h); test_usb_dwc2.c checks the offsets and bits in
 * it against the reference manuals' numbers, so the two do not just agree with each other. */
#include "otg_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "usb/usb_dwc2_regs.h"
#include "usb/usb_mmio.h"
#include "usb/usb_phyc_f72x.h"

#define EPS OTG_MODEL_ENDPOINTS
#define RX_MAX OTG_MODEL_FIFO_WORDS
#define GINTSTS_W1C                                                                                          \
    (DWC2_GINT_MMIS | DWC2_GINT_SOF | DWC2_GINT_ESUSP | DWC2_GINT_USBSUSP | DWC2_GINT_USBRST | DWC2_GINT_ENUMDNE | \
     DWC2_GINT_WKUPINT)
#define EPCTL_STORED (DWC2_EPCTL_MPSIZ_MASK | DWC2_EPCTL_USBAEP | DWC2_EPCTL_EPTYP_MASK | DWC2_EPCTL_TXFNUM_MASK)
#define SD1PID (1u << 29)

static void fail(otg_model *m, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(m->error, sizeof m->error, format, args);
    va_end(args);
    m->errors++;
}

static uint32_t reg(const otg_model *m, uint32_t offset)
{
    return m->regs[offset / 4];
}

static void set_reg(otg_model *m, uint32_t offset, uint32_t value)
{
    m->regs[offset / 4] = value;
}

static unsigned words_of(unsigned bytes)
{
    return (bytes + 3u) / 4u;
}

/* ---- the PHY controller ---- */

static uint32_t phyc_read(usb_mmio_model *mm, uint32_t offset)
{
    phyc_model *p = (phyc_model *)mm;
    switch (offset) {
    case USB_PHYC_PLL1: return p->pll;
    case USB_PHYC_TUNE: return p->tune;
    case USB_PHYC_LDO: {
        bool up = (p->ldo & USB_PHYC_LDO_ENABLE) && !p->ldo_fails;
        return (p->ldo & USB_PHYC_LDO_ENABLE) | USB_PHYC_LDO_USED | (up ? USB_PHYC_LDO_STATUS : 0u);
    }
    default: return 0;
    }
}

static void phyc_write(usb_mmio_model *mm, uint32_t offset, uint32_t value)
{
    phyc_model *p = (phyc_model *)mm;
    switch (offset) {
    case USB_PHYC_PLL1: p->pll = value & (USB_PHYC_PLL1_PLLEN | USB_PHYC_PLL1_SEL_MASK); break;
    case USB_PHYC_TUNE: p->tune = value; break;
    case USB_PHYC_LDO: p->ldo = value & USB_PHYC_LDO_ENABLE; break;
    default: break;
    }
}

void phyc_model_init(phyc_model *p, unsigned expected_select)
{
    memset(p, 0, sizeof *p);
    p->mmio.read = phyc_read;
    p->mmio.write = phyc_write;
    p->expected_select = expected_select;
}

bool phyc_model_clock_ok(const phyc_model *p)
{
    bool ldo = (p->ldo & USB_PHYC_LDO_ENABLE) && !p->ldo_fails;
    unsigned select = (p->pll & USB_PHYC_PLL1_SEL_MASK) >> USB_PHYC_PLL1_SEL_SHIFT;
    return ldo && (p->pll & USB_PHYC_PLL1_PLLEN) && select == p->expected_select;
}

uintptr_t phyc_model_base(phyc_model *p)
{
    return (uintptr_t)&p->mmio;
}

/* ---- helpers of the OTG model ---- */

static bool utmi_running(const otg_model *m)
{
    uint32_t usbcfg = reg(m, DWC2_GUSBCFG);
    return m->phyc && phyc_model_clock_ok(m->phyc) && (reg(m, DWC2_GCCFG) & DWC2_GCCFG_PHYHSEN) &&
           !(usbcfg & DWC2_GUSBCFG_PHYSEL) && !(usbcfg & DWC2_GUSBCFG_ULPI_UTMI_SEL);
}

/* The core's clocks: its own (RCC), and on the UTMI core the PHY's. */
static bool clocks_ok(const otg_model *m)
{
    return m->clock_on && (m->kind != OTG_MODEL_HS_UTMI || utmi_running(m));
}

static uint16_t ep0_size(const otg_model *m)
{
    static const uint16_t sizes[4] = {64, 32, 16, 8};
    return sizes[reg(m, DWC2_DIEPCTL(0)) & 3u];
}

static uint16_t in_max_packet(const otg_model *m, unsigned n)
{
    return n == 0 ? ep0_size(m) : (uint16_t)(reg(m, DWC2_DIEPCTL(n)) & DWC2_EPCTL_MPSIZ_MASK);
}

static uint16_t out_max_packet(const otg_model *m, unsigned n)
{
    return n == 0 ? ep0_size(m) : (uint16_t)(reg(m, DWC2_DOEPCTL(n)) & DWC2_EPCTL_MPSIZ_MASK);
}

static unsigned tx_fifo_of(const otg_model *m, unsigned n)
{
    return n == 0 ? 0u : (reg(m, DWC2_DIEPCTL(n)) & DWC2_EPCTL_TXFNUM_MASK) >> DWC2_EPCTL_TXFNUM_SHIFT;
}

static uint32_t tx_fifo_reg(const otg_model *m, unsigned f)
{
    return f == 0 ? reg(m, DWC2_DIEPTXF0) : reg(m, DWC2_DIEPTXF(f));
}

unsigned otg_model_tx_depth(otg_model *m, unsigned n)
{
    return tx_fifo_reg(m, tx_fifo_of(m, n)) >> 16;
}

static unsigned rx_depth(const otg_model *m)
{
    unsigned depth = reg(m, DWC2_GRXFSIZ) & 0xFFFFu;
    return depth > RX_MAX ? RX_MAX : depth;
}

static bool txfe(const otg_model *m, unsigned n)
{
    const otg_model_tx_fifo *fifo = &m->tx[tx_fifo_of(m, n)];
    if (reg(m, DWC2_GAHBCFG) & DWC2_GAHBCFG_TXFELVL) return fifo->words == 0;
    return fifo->words <= otg_model_tx_depth((otg_model *)m, n) / 2u;
}

static uint32_t daint(const otg_model *m)
{
    uint32_t v = 0, inmask = reg(m, DWC2_DIEPMSK), outmask = reg(m, DWC2_DOEPMSK);
    uint32_t empty = reg(m, DWC2_DIEPEMPMSK);
    for (unsigned n = 0; n < EPS; n++) {
        uint32_t flags = m->diepint[n] | (txfe(m, n) ? DWC2_EPINT_TXFE : 0u);
        uint32_t mask = inmask | (empty & (1u << n) ? DWC2_EPINT_TXFE : 0u);
        if (flags & mask) v |= 1u << n;
        if (m->doepint[n] & outmask) v |= 1u << (16 + n);
    }
    return v;
}

static uint32_t gintsts(const otg_model *m)
{
    uint32_t v = m->gintsts;
    if (m->rx_count > m->rx_data_left) v |= DWC2_GINT_RXFLVL;
    uint32_t active = daint(m) & reg(m, DWC2_DAINTMSK);
    if (active & 0xFFFFu) v |= DWC2_GINT_IEPINT;
    if (active >> 16) v |= DWC2_GINT_OEPINT;
    if (!(reg(m, DWC2_GUSBCFG) & DWC2_GUSBCFG_FDMOD)) v |= DWC2_GINT_CMOD;
    return v;
}

bool otg_model_irq_line(otg_model *m)
{
    return (reg(m, DWC2_GAHBCFG) & DWC2_GAHBCFG_GINT) && (gintsts(m) & reg(m, DWC2_GINTMSK));
}

static void tx_flush(otg_model *m, unsigned f)
{
    otg_model_tx_fifo *fifo = &m->tx[f];
    fifo->byte_count = 0;
    fifo->packets = 0;
    fifo->words = 0;
    fifo->partial_length = fifo->partial_target = 0;
}

static void rx_flush(otg_model *m)
{
    m->rx_count = 0;
    m->rx_data_left = 0;
}

static unsigned rx_free(const otg_model *m)
{
    unsigned depth = rx_depth(m);
    return depth > m->rx_count ? depth - m->rx_count : 0u;
}

static void rx_push_word(otg_model *m, uint32_t word)
{
    m->rx[(m->rx_head + m->rx_count) % RX_MAX] = word;
    m->rx_count++;
}

static void rx_push(otg_model *m, unsigned n, unsigned pktsts, bool data1, const uint8_t *data, unsigned length)
{
    rx_push_word(m, n | ((uint32_t)length << 4) | ((data1 ? 2u : 0u) << 15) | ((uint32_t)pktsts << 17));
    for (unsigned i = 0; i < length; i += 4) {
        uint32_t w = 0;
        for (unsigned b = 0; b < 4 && i + b < length; b++) w |= (uint32_t)data[i + b] << (8u * b);
        rx_push_word(m, w);
    }
}

static uint32_t rx_take_word(otg_model *m)
{
    uint32_t w = m->rx[m->rx_head];
    m->rx_head = (m->rx_head + 1u) % RX_MAX;
    m->rx_count--;
    return w;
}

static void core_soft_reset(otg_model *m)
{
    uint32_t keep[] = {DWC2_GOTGCTL, DWC2_GUSBCFG, DWC2_GCCFG, DWC2_GRXFSIZ, DWC2_DIEPTXF0, DWC2_PCGCCTL};
    uint32_t saved[sizeof keep / sizeof keep[0]];
    for (unsigned i = 0; i < sizeof keep / sizeof keep[0]; i++) saved[i] = reg(m, keep[i]);
    uint32_t txf[16];
    for (unsigned f = 1; f < 16; f++) txf[f] = reg(m, DWC2_DIEPTXF(f));
    uint32_t dspd = reg(m, DWC2_DCFG) & DWC2_DCFG_DSPD_MASK, sdis = reg(m, DWC2_DCTL) & DWC2_DCTL_SDIS;
    memset(m->regs, 0, sizeof m->regs);
    for (unsigned i = 0; i < sizeof keep / sizeof keep[0]; i++) set_reg(m, keep[i], saved[i]);
    for (unsigned f = 1; f < 16; f++) set_reg(m, DWC2_DIEPTXF(f), txf[f]);
    set_reg(m, DWC2_DCFG, dspd);
    set_reg(m, DWC2_DCTL, sdis);
    m->gintsts = 0;
    memset(m->in, 0, sizeof m->in);
    memset(m->out, 0, sizeof m->out);
    memset(m->diepint, 0, sizeof m->diepint);
    memset(m->doepint, 0, sizeof m->doepint);
    m->global_in_nak = m->global_out_nak = false;
    rx_flush(m);
    for (unsigned f = 0; f < 16; f++) tx_flush(m, f);
}

/* The FIFO regions: [0] RX, [1 + f] TX FIFO f of an active IN endpoint. */
bool otg_model_fifos_ok(otg_model *m, char *why, size_t why_size)
{
    unsigned start[1 + EPS], depth[1 + EPS], count = 0;
    start[count] = 0;
    depth[count++] = rx_depth(m);
    for (unsigned n = 0; n < EPS; n++) {
        if (n != 0 && !(reg(m, DWC2_DIEPCTL(n)) & DWC2_EPCTL_USBAEP)) continue;
        uint32_t r = tx_fifo_reg(m, tx_fifo_of(m, n));
        start[count] = r & 0xFFFFu;
        depth[count] = r >> 16;
        unsigned need = words_of(in_max_packet(m, n));
        if (depth[count] < 16u || depth[count] < need) {
            snprintf(why, why_size, "TX FIFO of IN %u: %u words, needs %u", n, depth[count], need < 16u ? 16u : need);
            return false;
        }
        count++;
    }
    for (unsigned i = 0; i < count; i++) {
        if (start[i] + depth[i] > OTG_MODEL_FIFO_WORDS) {
            snprintf(why, why_size, "FIFO region %u ends at word %u, past the RAM", i, start[i] + depth[i]);
            return false;
        }
        for (unsigned j = i + 1; j < count; j++)
            if (start[i] < start[j] + depth[j] && start[j] < start[i] + depth[i]) {
                snprintf(why, why_size, "FIFO regions %u and %u overlap", i, j);
                return false;
            }
    }
    return true;
}

bool otg_model_present(otg_model *m, const char **why)
{
    const char *missing = NULL;
    uint32_t usbcfg = reg(m, DWC2_GUSBCFG), gccfg = reg(m, DWC2_GCCFG), otgctl = reg(m, DWC2_GOTGCTL);
    uint32_t dspd = reg(m, DWC2_DCFG) & DWC2_DCFG_DSPD_MASK;
    bool session = (otgctl & DWC2_GOTGCTL_BVALOEN) ? (otgctl & DWC2_GOTGCTL_BVALOVAL) != 0 : (gccfg & DWC2_GCCFG_VBDEN) != 0;
    if (!clocks_ok(m) || (reg(m, DWC2_GRSTCTL) & DWC2_GRSTCTL_CSRST))
        missing = m->kind == OTG_MODEL_HS_UTMI && !utmi_running(m) ? "the UTMI PHY is not running" : "no core clock";
    else if (!(usbcfg & DWC2_GUSBCFG_FDMOD))
        missing = "not forced into device mode";
    else if (reg(m, DWC2_DCTL) & DWC2_DCTL_SDIS)
        missing = "soft-disconnected";
    else if (reg(m, DWC2_PCGCCTL) & 1u)
        missing = "PHY clock stopped";
    else if (m->kind == OTG_MODEL_FS && !(gccfg & DWC2_GCCFG_PWRDWN))
        missing = "the FS transceiver is powered down";
    else if (m->kind == OTG_MODEL_FS && dspd != DWC2_DCFG_DSPD_FS)
        missing = "DCFG.DSPD does not select the internal FS PHY";
    else if (m->kind == OTG_MODEL_HS_UTMI && dspd == DWC2_DCFG_DSPD_FS)
        missing = "DCFG.DSPD selects an FS transceiver this core does not use";
    else if (!session)
        missing = "no valid B session";
    if (why) *why = missing;
    return missing == NULL;
}

/* ---- register access by the driver ---- */

static uint32_t in_ctl(const otg_model *m, unsigned n)
{
    const otg_model_ep *e = &m->in[n];
    uint32_t v = reg(m, DWC2_DIEPCTL(n));
    if (n == 0) v |= DWC2_EPCTL_USBAEP;
    return v | (e->enabled ? DWC2_EPCTL_EPENA : 0u) | (e->nak ? DWC2_EPCTL_NAKSTS : 0u) |
           (e->stall ? DWC2_EPCTL_STALL : 0u) | (e->data1 ? DWC2_EPCTL_DPID : 0u);
}

static uint32_t out_ctl(const otg_model *m, unsigned n)
{
    const otg_model_ep *e = &m->out[n];
    uint32_t v = reg(m, DWC2_DOEPCTL(n)) & ~DWC2_EPCTL_TXFNUM_MASK;
    if (n == 0) v = (v & ~(DWC2_EPCTL_MPSIZ_MASK | DWC2_EPCTL_EPTYP_MASK)) | (reg(m, DWC2_DIEPCTL(0)) & 3u) | DWC2_EPCTL_USBAEP;
    return v | (e->enabled ? DWC2_EPCTL_EPENA : 0u) | (e->nak ? DWC2_EPCTL_NAKSTS : 0u) |
           (e->stall ? DWC2_EPCTL_STALL : 0u) | (e->data1 ? DWC2_EPCTL_DPID : 0u);
}

/* The bits of DxEPCTL common to both directions. */
static void ep_ctl_write(otg_model_ep *e, unsigned n, uint32_t v)
{
    if (v & DWC2_EPCTL_STALL)
        e->stall = true;
    else if (n != 0)
        e->stall = false; /* endpoint 0's stall is lifted by the core only (at SETUP) */
    if (v & DWC2_EPCTL_CNAK) e->nak = false;
    if (v & DWC2_EPCTL_SNAK) e->nak = true;
    if (v & DWC2_EPCTL_SD0PID) e->data1 = false;
    if (v & SD1PID) e->data1 = true;
}

static void write_in_ctl(otg_model *m, unsigned n, uint32_t v)
{
    otg_model_ep *e = &m->in[n];
    uint32_t stored = v & EPCTL_STORED;
    if (n == 0) stored &= 3u | DWC2_EPCTL_TXFNUM_MASK;
    set_reg(m, DWC2_DIEPCTL(n), stored);
    ep_ctl_write(e, n, v);
    if (v & DWC2_EPCTL_SNAK) m->diepint[n] |= DWC2_EPINT_INEPNE;
    if (v & DWC2_EPCTL_EPDIS) {
        if (e->enabled) {
            e->enabled = false;
            m->diepint[n] |= DWC2_EPINT_EPDISD;
        }
    } else if (v & DWC2_EPCTL_EPENA) {
        char why[96];
        if (!otg_model_fifos_ok(m, why, sizeof why)) fail(m, "IN %u enabled: %s", n, why);
        e->enabled = true;
    }
}

static void write_out_ctl(otg_model *m, unsigned n, uint32_t v)
{
    otg_model_ep *e = &m->out[n];
    uint32_t stored = v & (EPCTL_STORED & ~DWC2_EPCTL_TXFNUM_MASK);
    if (n == 0) stored = 0; /* endpoint 0 OUT takes its size and type from IN 0 */
    set_reg(m, DWC2_DOEPCTL(n), stored);
    ep_ctl_write(e, n, v);
    if (v & DWC2_EPCTL_EPDIS) {
        if (e->enabled) {
            if (!(m->global_out_nak && (m->gintsts & DWC2_GINT_GONAKEFF)))
                fail(m, "OUT %u disabled without the global OUT NAK in effect", n);
            e->enabled = false;
            e->out_done_pending = false;
            m->doepint[n] |= DWC2_EPINT_EPDISD;
        }
    } else if (v & DWC2_EPCTL_EPENA) {
        e->enabled = true;
        e->out_done_pending = false;
    }
}

static void write_grstctl(otg_model *m, uint32_t v)
{
    if (v & DWC2_GRSTCTL_CSRST) {
        if (clocks_ok(m))
            core_soft_reset(m);
        else
            set_reg(m, DWC2_GRSTCTL, DWC2_GRSTCTL_CSRST); /* stuck: no clock to run the reset */
        return;
    }
    if (v & DWC2_GRSTCTL_RXFFLSH) rx_flush(m);
    if (v & DWC2_GRSTCTL_TXFFLSH) {
        unsigned f = (v >> DWC2_GRSTCTL_TXFNUM_SHIFT) & 0x1Fu;
        if (f == DWC2_GRSTCTL_TXFNUM_ALL)
            for (unsigned i = 0; i < 16; i++) tx_flush(m, i);
        else if (f < 16)
            tx_flush(m, f);
    }
}

static void write_dctl(otg_model *m, uint32_t v)
{
    set_reg(m, DWC2_DCTL, v & (DWC2_DCTL_RWUSIG | DWC2_DCTL_SDIS | (7u << 4) | (1u << 11)));
    if (v & DWC2_DCTL_SGINAK) m->global_in_nak = true;
    if (v & DWC2_DCTL_CGINAK) m->global_in_nak = false;
    if ((v & DWC2_DCTL_SGONAK) && !m->global_out_nak) {
        m->global_out_nak = true;
        if (rx_free(m) >= 1)
            rx_push(m, 0, DWC2_PKTSTS_GONAK, false, NULL, 0);
        else
            fail(m, "no RX FIFO room for the global OUT NAK entry");
    }
    if (v & DWC2_DCTL_CGONAK) {
        m->global_out_nak = false;
        m->gintsts &= ~DWC2_GINT_GONAKEFF;
    }
}

static uint32_t pop_status(otg_model *m)
{
    if (m->rx_data_left) {
        fail(m, "GRXSTSP popped with %u data words unread", m->rx_data_left);
        while (m->rx_data_left) {
            rx_take_word(m);
            m->rx_data_left--;
        }
    }
    if (m->rx_count == 0) {
        fail(m, "GRXSTSP popped an empty RX FIFO");
        return 0;
    }
    uint32_t status = rx_take_word(m);
    unsigned n = DWC2_GRXSTS_EPNUM(status);
    switch (DWC2_GRXSTS_PKTSTS(status)) {
    case DWC2_PKTSTS_OUT_DATA:
    case DWC2_PKTSTS_SETUP_DATA: m->rx_data_left = words_of(DWC2_GRXSTS_BCNT(status)); break;
    case DWC2_PKTSTS_OUT_DONE:
        m->out[n].out_done_pending = false;
        m->out[n].enabled = false;
        m->doepint[n] |= DWC2_EPINT_XFRC;
        break;
    case DWC2_PKTSTS_SETUP_DONE: m->doepint[0] |= DWC2_EPINT_STUP; break;
    case DWC2_PKTSTS_GONAK: m->gintsts |= DWC2_GINT_GONAKEFF; break;
    default: break;
    }
    return status;
}

static uint32_t fifo_read(otg_model *m)
{
    if (m->rx_data_left == 0) {
        fail(m, "RX FIFO read with no data pending");
        return 0;
    }
    m->rx_data_left--;
    return rx_take_word(m);
}

static void fifo_push(otg_model *m, unsigned n, uint32_t word)
{
    if (n >= EPS) {
        fail(m, "push to the FIFO window of endpoint %u", n);
        return;
    }
    if (!m->in[n].enabled) {
        fail(m, "push to IN %u while it is not enabled", n);
        return;
    }
    unsigned f = tx_fifo_of(m, n);
    otg_model_tx_fifo *fifo = &m->tx[f];
    if (fifo->words + 1u > otg_model_tx_depth(m, n)) {
        fail(m, "TX FIFO %u overflow", f);
        return;
    }
    uint32_t tsiz = reg(m, DWC2_DIEPTSIZ(n));
    uint32_t size_mask = n == 0 ? 0x7Fu : DWC2_TSIZ_XFRSIZ_MASK;
    if (fifo->partial_target == 0) {
        uint32_t remaining = tsiz & size_mask;
        if (remaining == 0) {
            fail(m, "push to IN %u past its transfer size", n);
            return;
        }
        uint16_t mps = in_max_packet(m, n);
        fifo->partial_target = (uint16_t)(remaining < mps ? remaining : mps);
    }
    for (unsigned b = 0; b < 4 && fifo->partial_length < fifo->partial_target; b++)
        fifo->partial[fifo->partial_length++] = (uint8_t)(word >> (8u * b));
    fifo->words++;
    if (fifo->partial_length < fifo->partial_target) return;
    if (fifo->packets >= OTG_MODEL_TX_PACKETS || fifo->byte_count + fifo->partial_length > OTG_MODEL_TX_BYTES) {
        fail(m, "model limit: TX FIFO %u holds too many packets", f);
        return;
    }
    memcpy(&fifo->bytes[fifo->byte_count], fifo->partial, fifo->partial_length);
    fifo->byte_count += fifo->partial_length;
    fifo->packet_length[fifo->packets++] = fifo->partial_length;
    set_reg(m, DWC2_DIEPTSIZ(n), (tsiz & ~size_mask) | ((tsiz & size_mask) - fifo->partial_length));
    fifo->partial_length = fifo->partial_target = 0;
}

static bool in_ep_reg(uint32_t offset, unsigned *n)
{
    if (offset < 0x900u || offset >= 0x900u + 0x20u * EPS) return false;
    *n = (offset - 0x900u) / 0x20u;
    return true;
}

static bool out_ep_reg(uint32_t offset, unsigned *n)
{
    if (offset < 0xB00u || offset >= 0xB00u + 0x20u * EPS) return false;
    *n = (offset - 0xB00u) / 0x20u;
    return true;
}

static uint32_t otg_read(usb_mmio_model *mm, uint32_t offset)
{
    otg_model *m = (otg_model *)mm;
    unsigned n;
    if (offset >= 0x1000u && offset < 0x11000u) return fifo_read(m);
    if (in_ep_reg(offset, &n)) {
        switch (offset & 0x1Fu) {
        case 0x00: return in_ctl(m, n);
        case 0x08: return m->diepint[n] | (txfe(m, n) ? DWC2_EPINT_TXFE : 0u);
        case 0x18: {
            unsigned depth = otg_model_tx_depth(m, n), used = m->tx[tx_fifo_of(m, n)].words;
            return depth > used ? depth - used : 0u;
        }
        default: return reg(m, offset);
        }
    }
    if (out_ep_reg(offset, &n)) {
        switch (offset & 0x1Fu) {
        case 0x00: return out_ctl(m, n);
        case 0x08: return m->doepint[n];
        default: return reg(m, offset);
        }
    }
    switch (offset) {
    case DWC2_GRSTCTL: return (reg(m, offset) & DWC2_GRSTCTL_CSRST) | DWC2_GRSTCTL_AHBIDL;
    case DWC2_GINTSTS: return gintsts(m);
    case DWC2_GRXSTSR: return m->rx_count > m->rx_data_left ? m->rx[(m->rx_head + m->rx_data_left) % RX_MAX] : 0u;
    case DWC2_GRXSTSP: return pop_status(m);
    case DWC2_GUSBCFG:
        return reg(m, offset) | (m->kind == OTG_MODEL_FS ? DWC2_GUSBCFG_PHYSEL : 0u); /* read-only 1 on FS */
    case DWC2_DCTL:
        return reg(m, offset) | (m->global_in_nak ? (1u << 2) : 0u) |
               (m->global_out_nak && (m->gintsts & DWC2_GINT_GONAKEFF) ? (1u << 3) : 0u);
    case DWC2_DAINT: return daint(m);
    case DWC2_CID: return 0x00002000u;
    default: return offset < 0x1000u ? reg(m, offset) : 0u;
    }
}

static void otg_write(usb_mmio_model *mm, uint32_t offset, uint32_t value)
{
    otg_model *m = (otg_model *)mm;
    unsigned n;
    if (offset >= 0x1000u && offset < 0x11000u) {
        fifo_push(m, (offset - 0x1000u) / 0x1000u, value);
        return;
    }
    if (in_ep_reg(offset, &n)) {
        switch (offset & 0x1Fu) {
        case 0x00: write_in_ctl(m, n, value); break;
        case 0x08: m->diepint[n] &= ~(value & ~DWC2_EPINT_TXFE); break;
        case 0x10:
            set_reg(m, offset, n == 0 ? value & (0x7Fu | (3u << DWC2_TSIZ_PKTCNT_SHIFT))
                                      : value & (DWC2_TSIZ_XFRSIZ_MASK | DWC2_TSIZ_PKTCNT_MASK | (3u << 29)));
            break;
        case 0x18: break; /* DTXFSTS: read only */
        default: set_reg(m, offset, value); break;
        }
        return;
    }
    if (out_ep_reg(offset, &n)) {
        switch (offset & 0x1Fu) {
        case 0x00: write_out_ctl(m, n, value); break;
        case 0x08: m->doepint[n] &= ~value; break;
        case 0x10:
            set_reg(m, offset, n == 0 ? value & (0x7Fu | (1u << DWC2_TSIZ_PKTCNT_SHIFT) | (3u << DWC2_TSIZ_STUPCNT_SHIFT))
                                      : value & (DWC2_TSIZ_XFRSIZ_MASK | DWC2_TSIZ_PKTCNT_MASK | (3u << 29)));
            break;
        default: set_reg(m, offset, value); break;
        }
        return;
    }
    switch (offset) {
    case DWC2_GRSTCTL: write_grstctl(m, value); break;
    case DWC2_GINTSTS: m->gintsts &= ~(value & GINTSTS_W1C); break;
    case DWC2_GRXSTSR:
    case DWC2_GRXSTSP:
    case DWC2_DAINT:
    case DWC2_DSTS:
    case DWC2_CID: break; /* read only */
    case DWC2_DCTL: write_dctl(m, value); break;
    case DWC2_DCFG:
        set_reg(m, offset, value);
        m->address_pending = ((value & DWC2_DCFG_DAD_MASK) >> DWC2_DCFG_DAD_SHIFT) != m->address;
        break;
    default:
        if (offset < 0x1000u) set_reg(m, offset, value);
        break;
    }
}

/* The accessors of usb_mmio.h in the host build: `base` is a usb_mmio_model. */
uint32_t usb_mmio_model_read(uintptr_t base, uint32_t offset)
{
    usb_mmio_model *mm = (usb_mmio_model *)base;
    return mm->read(mm, offset);
}

void usb_mmio_model_write(uintptr_t base, uint32_t offset, uint32_t value)
{
    usb_mmio_model *mm = (usb_mmio_model *)base;
    mm->write(mm, offset, value);
}

void otg_model_init(otg_model *m, otg_model_kind kind, phyc_model *phyc)
{
    memset(m, 0, sizeof *m);
    m->mmio.read = otg_read;
    m->mmio.write = otg_write;
    m->kind = kind;
    m->phyc = phyc;
    m->clock_on = true;
    /* Reset values that matter: soft-disconnected, host mode until forced, VBUS sensing on. */
    set_reg(m, DWC2_DCTL, DWC2_DCTL_SDIS);
    set_reg(m, DWC2_GCCFG, 0);
    set_reg(m, DWC2_GRXFSIZ, 0x200u);
    set_reg(m, DWC2_DIEPTXF0, (0x200u << 16) | 0x200u);
}

uintptr_t otg_model_base(otg_model *m)
{
    return (uintptr_t)&m->mmio;
}

/* ---- the host side ---- */

static bool addressed(otg_model *m, uint8_t address)
{
    return otg_model_present(m, NULL) && address == m->address;
}

static void apply_address(otg_model *m)
{
    m->address = (uint8_t)((reg(m, DWC2_DCFG) & DWC2_DCFG_DAD_MASK) >> DWC2_DCFG_DAD_SHIFT);
    m->address_pending = false;
}

static void check_packet_size(otg_model *m, const char *dir, unsigned n, uint32_t ctl, uint16_t mps)
{
    unsigned type = (ctl & DWC2_EPCTL_EPTYP_MASK) >> DWC2_EPCTL_EPTYP_SHIFT;
    if (n == 0) return;
    if (!m->high_speed && mps > 64u) fail(m, "%s %u: %u-byte packets at full speed", dir, n, mps);
    if (m->high_speed && type == 2 && mps != 512u) fail(m, "%s %u: bulk packets of %u at high speed", dir, n, mps);
}

bool otg_model_bus_reset(otg_model *m, bool high_speed_host)
{
    if (!otg_model_present(m, NULL)) return false;
    uint32_t dspd = reg(m, DWC2_DCFG) & DWC2_DCFG_DSPD_MASK;
    m->high_speed = high_speed_host && m->kind == OTG_MODEL_HS_UTMI && dspd == DWC2_DCFG_DSPD_HS;
    uint32_t speed = m->high_speed ? 0u : (m->kind == OTG_MODEL_HS_UTMI ? 1u : 3u);
    set_reg(m, DWC2_DSTS, speed << 1);
    m->address = 0;
    m->address_pending = false;
    m->gintsts |= DWC2_GINT_USBRST | DWC2_GINT_ENUMDNE;
    return true;
}

void otg_model_suspend(otg_model *m)
{
    m->gintsts |= DWC2_GINT_USBSUSP;
    set_reg(m, DWC2_DSTS, reg(m, DWC2_DSTS) | DWC2_DSTS_SUSPSTS);
}

void otg_model_resume(otg_model *m)
{
    m->gintsts |= DWC2_GINT_WKUPINT;
    set_reg(m, DWC2_DSTS, reg(m, DWC2_DSTS) & ~DWC2_DSTS_SUSPSTS);
}

otg_handshake otg_model_setup(otg_model *m, uint8_t address, const uint8_t setup[8])
{
    if (!addressed(m, address)) return OTG_NO_RESPONSE;
    if (rx_free(m) < 4u) {
        fail(m, "no RX FIFO room for a SETUP packet");
        return OTG_NO_RESPONSE;
    }
    rx_push(m, 0, DWC2_PKTSTS_SETUP_DATA, false, setup, 8);
    rx_push(m, 0, DWC2_PKTSTS_SETUP_DONE, false, NULL, 0);
    for (unsigned dir = 0; dir < 2; dir++) {
        otg_model_ep *e = dir ? &m->in[0] : &m->out[0];
        e->stall = false;
        e->nak = true;
        e->data1 = true; /* the data and status stages start with DATA1 */
    }
    m->out[0].enabled = false;
    m->out[0].out_done_pending = false;
    uint32_t tsiz = reg(m, DWC2_DOEPTSIZ(0));
    uint32_t count = (tsiz >> DWC2_TSIZ_STUPCNT_SHIFT) & 3u;
    if (count) set_reg(m, DWC2_DOEPTSIZ(0), (tsiz & ~(3u << DWC2_TSIZ_STUPCNT_SHIFT)) | ((count - 1u) << DWC2_TSIZ_STUPCNT_SHIFT));
    return OTG_ACK;
}

otg_handshake otg_model_out(otg_model *m, uint8_t address, uint8_t ep, const uint8_t *data, size_t length, bool data1)
{
    unsigned n = ep & 0x0Fu;
    if (!addressed(m, address) || n >= EPS) return OTG_NO_RESPONSE;
    uint32_t ctl = out_ctl(m, n);
    if (!(ctl & DWC2_EPCTL_USBAEP)) return OTG_NO_RESPONSE;
    otg_model_ep *e = &m->out[n];
    if (e->stall) return OTG_STALL;
    if (!e->enabled || e->nak || e->out_done_pending || m->global_out_nak) return OTG_NAK;
    uint16_t mps = out_max_packet(m, n);
    check_packet_size(m, "OUT", n, ctl, mps);
    if (length > mps) {
        fail(m, "OUT %u: a %zu-byte packet on a %u-byte endpoint", n, length, mps);
        return OTG_NO_RESPONSE;
    }
    if (rx_free(m) < 2u + words_of((unsigned)length)) return OTG_NAK;
    if (data1 != e->data1) {
        m->toggle_mismatches++; /* a repeat of a packet already taken: acknowledged, dropped */
        return OTG_ACK;
    }
    uint32_t tsiz = reg(m, DWC2_DOEPTSIZ(n));
    uint32_t size_mask = n == 0 ? 0x7Fu : DWC2_TSIZ_XFRSIZ_MASK, count_mask = n == 0 ? 1u : 0x3FFu;
    uint32_t packets = (tsiz >> DWC2_TSIZ_PKTCNT_SHIFT) & count_mask, size = tsiz & size_mask;
    if (packets == 0) {
        fail(m, "OUT %u enabled with a packet count of 0", n);
        return OTG_NAK;
    }
    e->data1 = !e->data1;
    rx_push(m, n, DWC2_PKTSTS_OUT_DATA, data1, data, (unsigned)length);
    size -= length < size ? (uint32_t)length : size;
    packets--;
    set_reg(m, DWC2_DOEPTSIZ(n), (tsiz & ~(size_mask | (count_mask << DWC2_TSIZ_PKTCNT_SHIFT))) | size |
                                     (packets << DWC2_TSIZ_PKTCNT_SHIFT));
    if (length < mps || packets == 0) {
        e->out_done_pending = true;
        rx_push(m, n, DWC2_PKTSTS_OUT_DONE, false, NULL, 0);
    }
    return OTG_ACK;
}

otg_handshake otg_model_in(otg_model *m, uint8_t address, uint8_t ep, uint8_t *buffer, size_t capacity,
                           size_t *length, bool *data1)
{
    unsigned n = ep & 0x0Fu;
    *length = 0;
    if (!addressed(m, address) || n >= EPS) return OTG_NO_RESPONSE;
    uint32_t ctl = in_ctl(m, n);
    if (!(ctl & DWC2_EPCTL_USBAEP)) return OTG_NO_RESPONSE;
    otg_model_ep *e = &m->in[n];
    if (e->stall) return OTG_STALL;
    if (!e->enabled || e->nak || m->global_in_nak) return OTG_NAK;
    check_packet_size(m, "IN", n, ctl, in_max_packet(m, n));
    uint32_t tsiz = reg(m, DWC2_DIEPTSIZ(n));
    uint32_t size_mask = n == 0 ? 0x7Fu : DWC2_TSIZ_XFRSIZ_MASK, count_mask = n == 0 ? 3u : 0x3FFu;
    uint32_t packets = (tsiz >> DWC2_TSIZ_PKTCNT_SHIFT) & count_mask;
    if (packets == 0) {
        fail(m, "IN %u enabled with a packet count of 0", n);
        return OTG_NAK;
    }
    otg_model_tx_fifo *fifo = &m->tx[tx_fifo_of(m, n)];
    uint16_t size;
    if (fifo->packets) {
        size = fifo->packet_length[0];
        if (size > capacity) {
            fail(m, "IN %u: a %u-byte packet for a %zu-byte host buffer", n, size, capacity);
            size = (uint16_t)capacity;
        }
        memcpy(buffer, fifo->bytes, size);
        uint16_t whole = fifo->packet_length[0];
        memmove(fifo->bytes, fifo->bytes + whole, fifo->byte_count - whole);
        fifo->byte_count -= whole;
        memmove(fifo->packet_length, fifo->packet_length + 1, (fifo->packets - 1u) * sizeof fifo->packet_length[0]);
        fifo->packets--;
        fifo->words -= words_of(whole);
    } else if ((tsiz & size_mask) == 0 && fifo->partial_length == 0) {
        size = 0; /* the transfer has no data left: a zero-length packet */
    } else {
        return OTG_NAK; /* the data is not in the FIFO yet */
    }
    *length = size;
    *data1 = e->data1;
    e->data1 = !e->data1;
    packets--;
    set_reg(m, DWC2_DIEPTSIZ(n), (tsiz & ~(count_mask << DWC2_TSIZ_PKTCNT_SHIFT)) | (packets << DWC2_TSIZ_PKTCNT_SHIFT));
    if (packets == 0) {
        e->enabled = false;
        m->diepint[n] |= DWC2_EPINT_XFRC;
    }
    if (n == 0 && size == 0 && m->address_pending) apply_address(m);
    return OTG_ACK;
}
