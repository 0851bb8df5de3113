/* The Synopsys DWC2 OTG device driver (see usb_dwc2.h). The sequences follow the STM32 reference
 * manuals' OTG chapters (RM0431, RM0433): core initialisation, device initialisation, the USB
 * reset and enumeration-done steps, endpoint activation, and the slave-mode transfer rules (the
 * application pushes whole packets into an endpoint's TX FIFO as space allows and pops the shared
 * RX FIFO entry by entry).
 *
 * Transfers longer than the hardware takes at once go in chunks: on endpoint 0 one packet at a
 * time (its size registers are a few bits wide), elsewhere up to 1023 packets. */
#include "usb/usb_dwc2.h"

#include <string.h>

#include "usb/usb_dwc2_regs.h"
#include "usb/usb_mmio.h"

#define SPIN_LIMIT 100000u /* polls of a self-clearing bit before giving up */
#define TX_FIFO_MIN_WORDS 16u /* the smallest TX FIFO the reference manuals allow */
#define HS_TURNAROUND 9u
#define FS_TURNAROUND_DEFAULT 6u
/* Bits of DxEPCTL that act when written as 1 (or only ever read): never written back as read. */
#define EPCTL_ACTION_BITS                                                                                   \
    (DWC2_EPCTL_EPENA | DWC2_EPCTL_EPDIS | DWC2_EPCTL_CNAK | DWC2_EPCTL_SNAK | DWC2_EPCTL_SD0PID |        \
     (1u << 29))

static uint32_t rd(const usb_dwc2 *d, uint32_t offset)
{
    return mmio_read(d->config.base, offset);
}

static void wr(const usb_dwc2 *d, uint32_t offset, uint32_t value)
{
    mmio_write(d->config.base, offset, value);
}

/* Waits until (register & mask) == want; false on time-out. */
static bool spin(const usb_dwc2 *d, uint32_t offset, uint32_t mask, uint32_t want)
{
    for (uint32_t i = 0; i < SPIN_LIMIT; i++)
        if ((rd(d, offset) & mask) == want) return true;
    return false;
}

/* Changes an endpoint control register: clears `clear`, sets `set` (action bits only as given). */
static void epctl(const usb_dwc2 *d, uint32_t offset, uint32_t set, uint32_t clear)
{
    wr(d, offset, (rd(d, offset) & ~(EPCTL_ACTION_BITS | clear)) | set);
}

static void push_event(usb_dwc2 *d, const usb_event *e)
{
    uint8_t head = d->event_head;
    uint8_t next = (uint8_t)((head + 1u) % USB_DWC2_EVENTS);
    if (next == d->event_tail) {
        d->lost_events++;
        return;
    }
    d->events[head] = *e;
    d->event_head = next;
}

static void push_simple(usb_dwc2 *d, usb_event_kind kind, uint8_t ep, uint16_t length)
{
    usb_event e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.ep = ep;
    e.length = length;
    e.high_speed = d->high_speed;
    push_event(d, &e);
}

/* ---- FIFOs ---- */

static void flush_tx(const usb_dwc2 *d, uint32_t fifo)
{
    wr(d, DWC2_GRSTCTL, DWC2_GRSTCTL_TXFFLSH | (fifo << DWC2_GRSTCTL_TXFNUM_SHIFT));
    spin(d, DWC2_GRSTCTL, DWC2_GRSTCTL_TXFFLSH, 0);
}

static void flush_rx(const usb_dwc2 *d)
{
    wr(d, DWC2_GRSTCTL, DWC2_GRSTCTL_RXFFLSH);
    spin(d, DWC2_GRSTCTL, DWC2_GRSTCTL_RXFFLSH, 0);
}

static uint16_t words_of(uint32_t bytes)
{
    return (uint16_t)((bytes + 3u) / 4u);
}

/* The RX FIFO takes the SETUP packets (10 words), two of the largest packets with their status
 * words, a word per OUT endpoint for its transfer-completed status, and the global OUT NAK. */
static uint16_t rx_fifo_words(const usb_dwc2 *d)
{
    uint16_t largest = d->config.utmi_phy ? 512u : 64u;
    return (uint16_t)(13u + 2u * (words_of(largest) + 1u) + 2u * d->config.endpoints + 1u);
}

/* The RX FIFO and TX FIFO 0 at the bottom of the FIFO RAM; the other TX FIFOs are handed out as
 * their endpoints open, until the next bus reset. */
static void fifo_layout_reset(usb_dwc2 *d)
{
    uint16_t rx = rx_fifo_words(d);
    wr(d, DWC2_GRXFSIZ, rx);
    wr(d, DWC2_DIEPTXF0, ((uint32_t)TX_FIFO_MIN_WORDS << 16) | rx);
    d->in[0].fifo_words = TX_FIFO_MIN_WORDS;
    d->fifo_next = (uint16_t)(rx + TX_FIFO_MIN_WORDS);
    for (unsigned n = 1; n < USB_DWC2_MAX_ENDPOINTS; n++) d->in[n].fifo_words = 0;
}

/* A TX FIFO for IN endpoint n: two packets for bulk where the RAM allows (the next packet is
 * loaded while one goes out), else one; never below the minimum depth. */
static bool fifo_allocate(usb_dwc2 *d, unsigned n, uint8_t type, uint16_t max_packet)
{
    uint16_t one = words_of(max_packet) > TX_FIFO_MIN_WORDS ? words_of(max_packet) : TX_FIFO_MIN_WORDS;
    if (d->in[n].fifo_words >= one) return true; /* kept from an earlier SET_CONFIGURATION */
    uint16_t want = type == 2 ? (uint16_t)(2u * words_of(max_packet)) : one;
    if (want < one) want = one;
    if ((uint32_t)d->fifo_next + want > d->config.fifo_words) want = one;
    if ((uint32_t)d->fifo_next + want > d->config.fifo_words) return false;
    wr(d, DWC2_DIEPTXF(n), ((uint32_t)want << 16) | d->fifo_next);
    d->in[n].fifo_words = want;
    d->fifo_next = (uint16_t)(d->fifo_next + want);
    return true;
}

/* ---- transfers ---- */

static uint16_t max_chunk(const usb_dwc2_ep *e, unsigned n)
{
    if (n == 0) return e->max_packet;
    uint32_t most = 1023u * e->max_packet;
    return most > 0xFFFFu ? (uint16_t)(0xFFFFu / e->max_packet * e->max_packet) : (uint16_t)most;
}

static uint32_t packets_of(uint16_t bytes, uint16_t max_packet)
{
    return bytes == 0 ? 1u : ((uint32_t)bytes + max_packet - 1u) / max_packet;
}

/* Pushes whole packets of the current IN chunk into the TX FIFO while they fit. */
static void in_fill(usb_dwc2 *d, unsigned n)
{
    usb_dwc2_ep *e = &d->in[n];
    while (e->busy && e->progress < e->chunk) {
        uint16_t size = (uint16_t)(e->chunk - e->progress);
        if (size > e->max_packet) size = e->max_packet;
        uint16_t words = words_of(size);
        if ((rd(d, DWC2_DTXFSTS(n)) & 0xFFFFu) < words) break;
        const uint8_t *p = e->buffer + e->done + e->progress;
        for (uint16_t w = 0; w < words; w++) {
            uint32_t v = 0;
            for (unsigned b = 0; b < 4; b++) {
                unsigned i = w * 4u + b;
                if (i < size) v |= (uint32_t)p[i] << (8u * b);
            }
            wr(d, DWC2_FIFO(n), v);
        }
        e->progress = (uint16_t)(e->progress + size);
    }
    uint32_t empty_mask = rd(d, DWC2_DIEPEMPMSK);
    if (e->busy && e->progress < e->chunk)
        wr(d, DWC2_DIEPEMPMSK, empty_mask | (1u << n));
    else if (empty_mask & (1u << n))
        wr(d, DWC2_DIEPEMPMSK, empty_mask & ~(1u << n));
}

/* The next chunk of a transfer: what is left, up to what the hardware takes at once. */
static uint16_t next_chunk(usb_dwc2_ep *e, unsigned n)
{
    uint16_t chunk = (uint16_t)(e->length - e->done);
    uint16_t most = max_chunk(e, n);
    e->chunk = chunk > most ? most : chunk;
    e->progress = 0;
    return e->chunk;
}

static void in_start_chunk(usb_dwc2 *d, unsigned n)
{
    usb_dwc2_ep *e = &d->in[n];
    uint16_t chunk = next_chunk(e, n);
    wr(d, DWC2_DIEPTSIZ(n), (packets_of(chunk, e->max_packet) << DWC2_TSIZ_PKTCNT_SHIFT) | chunk);
    epctl(d, DWC2_DIEPCTL(n), DWC2_EPCTL_EPENA | DWC2_EPCTL_CNAK, 0);
    in_fill(d, n);
}

static void out_start_chunk(usb_dwc2 *d, unsigned n)
{
    usb_dwc2_ep *e = &d->out[n];
    uint32_t packets = packets_of(next_chunk(e, n), e->max_packet);
    e->short_packet = false;
    uint32_t tsiz = (packets << DWC2_TSIZ_PKTCNT_SHIFT) | (packets * e->max_packet);
    if (n == 0) tsiz |= 3u << DWC2_TSIZ_STUPCNT_SHIFT;
    wr(d, DWC2_DOEPTSIZ(n), tsiz);
    epctl(d, DWC2_DOEPCTL(n), DWC2_EPCTL_EPENA | DWC2_EPCTL_CNAK, 0);
}

static void in_complete(usb_dwc2 *d, unsigned n)
{
    usb_dwc2_ep *e = &d->in[n];
    if (!e->busy) return;
    e->done = (uint16_t)(e->done + e->chunk);
    if (e->done < e->length) {
        in_start_chunk(d, n);
        return;
    }
    e->busy = false;
    push_simple(d, USB_EVENT_XFER_DONE, (uint8_t)(0x80u | n), e->length);
}

static void out_complete(usb_dwc2 *d, unsigned n)
{
    usb_dwc2_ep *e = &d->out[n];
    if (!e->busy) return;
    e->done = (uint16_t)(e->done + e->progress);
    if (!e->short_packet && e->done < e->length) {
        out_start_chunk(d, n);
        return;
    }
    e->busy = false;
    push_simple(d, USB_EVENT_XFER_DONE, (uint8_t)n, e->done);
}

/* Stops IN endpoint n (NAK first, then disable) and empties its TX FIFO. */
static void in_disable(usb_dwc2 *d, unsigned n)
{
    if (rd(d, DWC2_DIEPCTL(n)) & DWC2_EPCTL_EPENA) {
        epctl(d, DWC2_DIEPCTL(n), DWC2_EPCTL_SNAK, 0);
        spin(d, DWC2_DIEPINT(n), DWC2_EPINT_INEPNE, DWC2_EPINT_INEPNE);
        epctl(d, DWC2_DIEPCTL(n), DWC2_EPCTL_EPDIS | DWC2_EPCTL_SNAK, 0);
        spin(d, DWC2_DIEPINT(n), DWC2_EPINT_EPDISD, DWC2_EPINT_EPDISD);
        wr(d, DWC2_DIEPINT(n), DWC2_EPINT_EPDISD | DWC2_EPINT_INEPNE);
    }
    flush_tx(d, n);
    d->in[n].busy = false;
    wr(d, DWC2_DIEPEMPMSK, rd(d, DWC2_DIEPEMPMSK) & ~(1u << n));
}

static void rx_pop(usb_dwc2 *d);

/* Stops OUT endpoint n: the global OUT NAK first (the RX FIFO is drained until its entry shows),
 * then the endpoint is disabled, then the global OUT NAK is lifted. */
static void out_disable(usb_dwc2 *d, unsigned n)
{
    if (rd(d, DWC2_DOEPCTL(n)) & DWC2_EPCTL_EPENA) {
        wr(d, DWC2_DCTL, rd(d, DWC2_DCTL) | DWC2_DCTL_SGONAK);
        for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
            uint32_t sts = rd(d, DWC2_GINTSTS);
            if (sts & DWC2_GINT_GONAKEFF) break;
            if (sts & DWC2_GINT_RXFLVL) rx_pop(d);
        }
        epctl(d, DWC2_DOEPCTL(n), DWC2_EPCTL_EPDIS | DWC2_EPCTL_SNAK, 0);
        spin(d, DWC2_DOEPINT(n), DWC2_EPINT_EPDISD, DWC2_EPINT_EPDISD);
        wr(d, DWC2_DOEPINT(n), DWC2_EPINT_EPDISD);
        wr(d, DWC2_DCTL, rd(d, DWC2_DCTL) | DWC2_DCTL_CGONAK);
    } else {
        epctl(d, DWC2_DOEPCTL(n), DWC2_EPCTL_SNAK, 0);
    }
    d->out[n].busy = false;
}

/* ---- interrupt work ---- */

/* Reads `bytes` from the RX FIFO, keeping at most `room` of them at `to`. */
static void rx_read(const usb_dwc2 *d, uint8_t *to, uint16_t bytes, uint16_t room)
{
    for (uint16_t i = 0; i < bytes; i += 4) {
        uint32_t v = rd(d, DWC2_FIFO(0));
        for (unsigned b = 0; b < 4 && i + b < bytes; b++)
            if (i + b < room) to[i + b] = (uint8_t)(v >> (8u * b));
    }
}

/* Takes one entry off the RX status queue with its data. */
static void rx_pop(usb_dwc2 *d)
{
    uint32_t status = rd(d, DWC2_GRXSTSP);
    unsigned n = DWC2_GRXSTS_EPNUM(status);
    uint16_t bytes = (uint16_t)DWC2_GRXSTS_BCNT(status);
    switch (DWC2_GRXSTS_PKTSTS(status)) {
    case DWC2_PKTSTS_SETUP_DATA:
        rx_read(d, d->setup, bytes, sizeof d->setup);
        break;
    case DWC2_PKTSTS_OUT_DATA: {
        usb_dwc2_ep *e = &d->out[n];
        uint16_t room = 0;
        if (e->busy && e->buffer) room = (uint16_t)(e->length - e->done - e->progress);
        rx_read(d, e->busy && e->buffer ? e->buffer + e->done + e->progress : NULL, bytes, room);
        if (e->busy) e->progress = (uint16_t)(e->progress + (bytes < room ? bytes : room));
        if (bytes < e->max_packet) e->short_packet = true;
        break;
    }
    default: /* OUT transfer done, SETUP stage done, global OUT NAK: status only */
        break;
    }
}

/* The USB reset: every endpoint NAKs (OUT endpoints, as the reference manual's reset steps say;
 * IN endpoints are also disabled and their FIFOs emptied), the address goes back to 0, the
 * FIFOs are laid out afresh and endpoint 0 is ready for SETUP packets. Endpoints other than 0
 * become inactive until SET_CONFIGURATION opens them; an OUT endpoint still enabled is
 * disabled properly (global OUT NAK) when it is opened again. */
static void on_bus_reset(usb_dwc2 *d)
{
    wr(d, DWC2_DCTL, rd(d, DWC2_DCTL) & ~DWC2_DCTL_RWUSIG);
    for (unsigned n = 0; n < d->config.endpoints; n++) {
        uint32_t in = rd(d, DWC2_DIEPCTL(n));
        uint32_t stop = DWC2_EPCTL_SNAK | (in & DWC2_EPCTL_EPENA ? DWC2_EPCTL_EPDIS : 0u);
        if (n == 0)
            epctl(d, DWC2_DIEPCTL(0), stop, 0);
        else
            wr(d, DWC2_DIEPCTL(n), stop);
        epctl(d, DWC2_DOEPCTL(n), DWC2_EPCTL_SNAK, 0);
        wr(d, DWC2_DIEPINT(n), 0xFFFFu);
        wr(d, DWC2_DOEPINT(n), 0xFFFFu);
    }
    flush_tx(d, DWC2_GRSTCTL_TXFNUM_ALL);
    flush_rx(d);
    memset(d->in, 0, sizeof d->in);
    memset(d->out, 0, sizeof d->out);
    wr(d, DWC2_DAINTMSK, (1u << 16) | 1u);
    wr(d, DWC2_DIEPEMPMSK, 0);
    wr(d, DWC2_DCFG, rd(d, DWC2_DCFG) & ~DWC2_DCFG_DAD_MASK);
    fifo_layout_reset(d);
    wr(d, DWC2_DOEPTSIZ(0), (3u << DWC2_TSIZ_STUPCNT_SHIFT) | (1u << DWC2_TSIZ_PKTCNT_SHIFT) | 24u);
}

static void on_enumeration_done(usb_dwc2 *d)
{
    d->high_speed = DWC2_DSTS_ENUMSPD(rd(d, DWC2_DSTS)) == 0;
    uint32_t trdt = d->high_speed ? HS_TURNAROUND
                    : d->config.fs_turnaround ? d->config.fs_turnaround : FS_TURNAROUND_DEFAULT;
    uint32_t usbcfg = rd(d, DWC2_GUSBCFG) & ~DWC2_GUSBCFG_TRDT_MASK;
    wr(d, DWC2_GUSBCFG, usbcfg | (trdt << DWC2_GUSBCFG_TRDT_SHIFT));
    epctl(d, DWC2_DIEPCTL(0), 0, DWC2_EPCTL_MPSIZ_MASK); /* 64 bytes */
    wr(d, DWC2_DCTL, rd(d, DWC2_DCTL) | DWC2_DCTL_CGINAK);
    push_simple(d, USB_EVENT_RESET, 0, 0);
}

/* A SETUP stage ended: whatever endpoint 0 was doing is over. */
static void on_setup(usb_dwc2 *d)
{
    if (d->in[0].busy || (rd(d, DWC2_DIEPCTL(0)) & DWC2_EPCTL_EPENA)) in_disable(d, 0);
    d->in[0].busy = false;
    d->out[0].busy = false;
    wr(d, DWC2_DOEPTSIZ(0), (3u << DWC2_TSIZ_STUPCNT_SHIFT) | (1u << DWC2_TSIZ_PKTCNT_SHIFT) | 24u);
    usb_event e;
    memset(&e, 0, sizeof e);
    e.kind = USB_EVENT_SETUP;
    memcpy(e.setup, d->setup, sizeof e.setup);
    e.high_speed = d->high_speed;
    push_event(d, &e);
}

static void on_out_endpoints(usb_dwc2 *d, uint32_t daint)
{
    uint32_t mask = rd(d, DWC2_DOEPMSK);
    for (unsigned n = 0; n < d->config.endpoints; n++) {
        if (!(daint & (1u << (16 + n)))) continue;
        uint32_t flags = rd(d, DWC2_DOEPINT(n)) & mask;
        wr(d, DWC2_DOEPINT(n), flags);
        if (flags & DWC2_EPINT_XFRC) out_complete(d, n);
        if (n == 0 && (flags & DWC2_EPINT_STUP)) on_setup(d);
    }
}

static void on_in_endpoints(usb_dwc2 *d, uint32_t daint)
{
    uint32_t mask = rd(d, DWC2_DIEPMSK), empty = rd(d, DWC2_DIEPEMPMSK);
    for (unsigned n = 0; n < d->config.endpoints; n++) {
        if (!(daint & (1u << n))) continue;
        uint32_t flags = rd(d, DWC2_DIEPINT(n));
        uint32_t pending = flags & (mask | (empty & (1u << n) ? DWC2_EPINT_TXFE : 0u));
        wr(d, DWC2_DIEPINT(n), pending & ~DWC2_EPINT_TXFE);
        if (pending & DWC2_EPINT_XFRC) in_complete(d, n);
        if (pending & DWC2_EPINT_TXFE) in_fill(d, n);
    }
}

static void handle(usb_dwc2 *d)
{
    for (unsigned round = 0; round < 64; round++) {
        uint32_t sts = rd(d, DWC2_GINTSTS) & rd(d, DWC2_GINTMSK);
        if (!sts) return;
        if (sts & DWC2_GINT_USBRST) {
            wr(d, DWC2_GINTSTS, DWC2_GINT_USBRST);
            on_bus_reset(d);
        }
        if (sts & DWC2_GINT_ENUMDNE) {
            wr(d, DWC2_GINTSTS, DWC2_GINT_ENUMDNE);
            on_enumeration_done(d);
        }
        if (sts & DWC2_GINT_USBSUSP) {
            wr(d, DWC2_GINTSTS, DWC2_GINT_USBSUSP);
            push_simple(d, USB_EVENT_SUSPEND, 0, 0);
        }
        if (sts & DWC2_GINT_WKUPINT) {
            wr(d, DWC2_GINTSTS, DWC2_GINT_WKUPINT);
            push_simple(d, USB_EVENT_RESUME, 0, 0);
        }
        for (unsigned i = 0; i < 64 && (rd(d, DWC2_GINTSTS) & DWC2_GINT_RXFLVL); i++) rx_pop(d);
        if (sts & (DWC2_GINT_OEPINT | DWC2_GINT_IEPINT)) {
            uint32_t daint = rd(d, DWC2_DAINT) & rd(d, DWC2_DAINTMSK);
            if (sts & DWC2_GINT_OEPINT) on_out_endpoints(d, daint);
            if (sts & DWC2_GINT_IEPINT) on_in_endpoints(d, daint);
        }
    }
}

void usb_dwc2_irq(usb_dwc2 *d)
{
    if (d->in_seam) return; /* a seam call holds the core; its interrupt line is masked */
    handle(d);
}

/* ---- the seam ---- */

static void seam_enter(usb_dwc2 *d)
{
    d->in_seam = true;
    wr(d, DWC2_GAHBCFG, rd(d, DWC2_GAHBCFG) & ~DWC2_GAHBCFG_GINT);
    mmio_barrier();
}

static void seam_leave(usb_dwc2 *d)
{
    d->in_seam = false;
    mmio_barrier();
    wr(d, DWC2_GAHBCFG, rd(d, DWC2_GAHBCFG) | DWC2_GAHBCFG_GINT);
}

static void dcd_connect(void *ctx, bool on)
{
    usb_dwc2 *d = ctx;
    seam_enter(d);
    uint32_t dctl = rd(d, DWC2_DCTL);
    wr(d, DWC2_DCTL, on ? dctl & ~DWC2_DCTL_SDIS : dctl | DWC2_DCTL_SDIS);
    seam_leave(d);
}

static void dcd_set_address(void *ctx, uint8_t address)
{
    usb_dwc2 *d = ctx;
    seam_enter(d);
    uint32_t dcfg = rd(d, DWC2_DCFG) & ~DWC2_DCFG_DAD_MASK;
    wr(d, DWC2_DCFG, dcfg | ((uint32_t)(address & 0x7Fu) << DWC2_DCFG_DAD_SHIFT));
    seam_leave(d);
}

static bool dcd_ep_open(void *ctx, uint8_t ep, uint8_t type, uint16_t max_packet)
{
    usb_dwc2 *d = ctx;
    unsigned n = ep & 0x0Fu;
    bool in = (ep & 0x80u) != 0;
    if (n >= d->config.endpoints || max_packet == 0 || max_packet > 1024u || type == 1 || type > 3) return false;
    if ((n == 0) != (type == 0)) return false;
    bool ok = true;
    seam_enter(d);
    if (n == 0) {
        static const uint16_t sizes[4] = {64, 32, 16, 8};
        uint32_t code = 4;
        for (uint32_t i = 0; i < 4; i++)
            if (sizes[i] == max_packet) code = i;
        if (code == 4) {
            ok = false;
        } else {
            epctl(d, DWC2_DIEPCTL(0), code, DWC2_EPCTL_MPSIZ_MASK);
            d->in[0].max_packet = d->out[0].max_packet = max_packet;
            d->in[0].type = d->out[0].type = 0;
        }
    } else if (in) {
        if (d->in[n].busy || (rd(d, DWC2_DIEPCTL(n)) & DWC2_EPCTL_EPENA)) in_disable(d, n);
        ok = fifo_allocate(d, n, type, max_packet);
        if (ok) {
            wr(d, DWC2_DIEPCTL(n), max_packet | ((uint32_t)type << DWC2_EPCTL_EPTYP_SHIFT) | DWC2_EPCTL_USBAEP |
                                      ((uint32_t)n << DWC2_EPCTL_TXFNUM_SHIFT) | DWC2_EPCTL_SD0PID |
                                      DWC2_EPCTL_SNAK);
            d->in[n].max_packet = max_packet;
            d->in[n].type = type;
            d->in[n].busy = false;
            wr(d, DWC2_DAINTMSK, rd(d, DWC2_DAINTMSK) | (1u << n));
        }
    } else {
        if (d->out[n].busy || (rd(d, DWC2_DOEPCTL(n)) & DWC2_EPCTL_EPENA)) out_disable(d, n);
        wr(d, DWC2_DOEPCTL(n), max_packet | ((uint32_t)type << DWC2_EPCTL_EPTYP_SHIFT) | DWC2_EPCTL_USBAEP |
                                  DWC2_EPCTL_SD0PID | DWC2_EPCTL_SNAK);
        d->out[n].max_packet = max_packet;
        d->out[n].type = type;
        d->out[n].busy = false;
        wr(d, DWC2_DAINTMSK, rd(d, DWC2_DAINTMSK) | (1u << (16 + n)));
    }
    seam_leave(d);
    return ok;
}

static bool dcd_ep_xfer(void *ctx, uint8_t ep, uint8_t *buffer, uint16_t length)
{
    usb_dwc2 *d = ctx;
    unsigned n = ep & 0x0Fu;
    if (n >= d->config.endpoints) return false;
    usb_dwc2_ep *e = ep & 0x80u ? &d->in[n] : &d->out[n];
    if (e->max_packet == 0 || (e->busy && n != 0) || (length && !buffer)) return false;
    seam_enter(d);
    /* On endpoint 0 a new transfer replaces an unfinished one (a new SETUP ended it). */
    if (n == 0 && e->busy && (ep & 0x80u)) in_disable(d, 0);
    e->buffer = buffer;
    e->length = length;
    e->done = 0;
    e->busy = true;
    if (ep & 0x80u)
        in_start_chunk(d, n);
    else
        out_start_chunk(d, n);
    seam_leave(d);
    return true;
}

static void dcd_ep_stall(void *ctx, uint8_t ep, bool stall)
{
    usb_dwc2 *d = ctx;
    unsigned n = ep & 0x0Fu;
    if (n >= d->config.endpoints) return;
    seam_enter(d);
    if (n == 0) {
        /* Endpoint 0 stalls both ways; the core lifts it when the next SETUP arrives. */
        if (stall) {
            epctl(d, DWC2_DIEPCTL(0), DWC2_EPCTL_STALL, 0);
            epctl(d, DWC2_DOEPCTL(0), DWC2_EPCTL_STALL, 0);
        }
    } else {
        uint32_t reg = ep & 0x80u ? DWC2_DIEPCTL(n) : DWC2_DOEPCTL(n);
        if (stall)
            epctl(d, reg, DWC2_EPCTL_STALL, 0);
        else
            epctl(d, reg, DWC2_EPCTL_SD0PID, DWC2_EPCTL_STALL); /* and the toggle back to DATA0 */
    }
    seam_leave(d);
}

static bool dcd_next_event(void *ctx, usb_event *event)
{
    usb_dwc2 *d = ctx;
    if (d->event_tail == d->event_head) {
        seam_enter(d);
        handle(d);
        seam_leave(d);
    }
    uint8_t tail = d->event_tail;
    if (tail == d->event_head) return false;
    *event = d->events[tail];
    d->event_tail = (uint8_t)((tail + 1u) % USB_DWC2_EVENTS);
    return true;
}

const usb_dcd *usb_dwc2_dcd(usb_dwc2 *d)
{
    return &d->dcd;
}

/* ---- initialisation ---- */

static bool core_reset(const usb_dwc2 *d)
{
    if (!spin(d, DWC2_GRSTCTL, DWC2_GRSTCTL_AHBIDL, DWC2_GRSTCTL_AHBIDL)) return false;
    wr(d, DWC2_GRSTCTL, DWC2_GRSTCTL_CSRST);
    if (!spin(d, DWC2_GRSTCTL, DWC2_GRSTCTL_CSRST, 0)) return false;
    return spin(d, DWC2_GRSTCTL, DWC2_GRSTCTL_AHBIDL, DWC2_GRSTCTL_AHBIDL);
}

static void select_phy(const usb_dwc2 *d)
{
    uint32_t usbcfg = rd(d, DWC2_GUSBCFG);
    if (d->config.utmi_phy) {
        usbcfg &= ~(DWC2_GUSBCFG_TSDPS | DWC2_GUSBCFG_ULPIFSLS | DWC2_GUSBCFG_PHYSEL | DWC2_GUSBCFG_ULPIEVBUSD |
                    DWC2_GUSBCFG_ULPIEVBUSI | DWC2_GUSBCFG_ULPI_UTMI_SEL);
    } else {
        usbcfg |= DWC2_GUSBCFG_PHYSEL;
    }
    wr(d, DWC2_GUSBCFG, usbcfg);
}

bool usb_dwc2_init(usb_dwc2 *d, const usb_dwc2_config *config)
{
    memset(d, 0, sizeof *d);
    d->config = *config;
    if (d->config.endpoints == 0 || d->config.endpoints > USB_DWC2_MAX_ENDPOINTS) return false;
    d->dcd.ctx = d;
    d->dcd.connect = dcd_connect;
    d->dcd.set_address = dcd_set_address;
    d->dcd.ep_open = dcd_ep_open;
    d->dcd.ep_xfer = dcd_ep_xfer;
    d->dcd.ep_stall = dcd_ep_stall;
    d->dcd.next_event = dcd_next_event;

    wr(d, DWC2_GAHBCFG, 0); /* the interrupt line stays quiet until the core is set up */

    /* The PHY, then a core reset (the reset runs on the PHY's clock). */
    select_phy(d);
    if (d->config.utmi_phy) {
        wr(d, DWC2_GCCFG, rd(d, DWC2_GCCFG) & ~DWC2_GCCFG_PWRDWN);
        wr(d, DWC2_GCCFG, rd(d, DWC2_GCCFG) | DWC2_GCCFG_PHYHSEN);
        if (d->config.phy_init && !d->config.phy_init(d->config.ctx)) return false;
    }
    if (!core_reset(d)) return false;
    select_phy(d);

    /* Device mode, forced; the switch takes up to 25 ms. */
    uint32_t usbcfg = rd(d, DWC2_GUSBCFG) & ~(DWC2_GUSBCFG_FHMOD | DWC2_GUSBCFG_TRDT_MASK);
    uint32_t trdt = d->config.utmi_phy ? HS_TURNAROUND
                    : d->config.fs_turnaround ? d->config.fs_turnaround : FS_TURNAROUND_DEFAULT;
    wr(d, DWC2_GUSBCFG, usbcfg | DWC2_GUSBCFG_FDMOD | (trdt << DWC2_GUSBCFG_TRDT_SHIFT));
    if (d->config.delay_ms) d->config.delay_ms(d->config.ctx, 25);
    if (!spin(d, DWC2_GINTSTS, DWC2_GINT_CMOD, 0)) return false;

    /* VBUS: sensed on its pin, or the B session forced valid (a bus-powered probe has VBUS
     * whenever it runs). The FS transceiver is powered on here; the UTMI PHY already is. */
    uint32_t gccfg = rd(d, DWC2_GCCFG) & ~DWC2_GCCFG_VBDEN;
    if (d->config.vbus_sensing) gccfg |= DWC2_GCCFG_VBDEN;
    if (!d->config.utmi_phy) gccfg |= DWC2_GCCFG_PWRDWN;
    wr(d, DWC2_GCCFG, gccfg);
    uint32_t otgctl = rd(d, DWC2_GOTGCTL) & ~(DWC2_GOTGCTL_BVALOEN | DWC2_GOTGCTL_BVALOVAL);
    if (!d->config.vbus_sensing) otgctl |= DWC2_GOTGCTL_BVALOEN | DWC2_GOTGCTL_BVALOVAL;
    wr(d, DWC2_GOTGCTL, otgctl);
    wr(d, DWC2_PCGCCTL, 0);

    /* Device: speed, address 0, disconnected until usb_probe_init connects. */
    wr(d, DWC2_DCFG, d->config.utmi_phy ? DWC2_DCFG_DSPD_HS : DWC2_DCFG_DSPD_FS);
    wr(d, DWC2_DCTL, rd(d, DWC2_DCTL) | DWC2_DCTL_SDIS);

    fifo_layout_reset(d);
    flush_tx(d, DWC2_GRSTCTL_TXFNUM_ALL);
    flush_rx(d);

    wr(d, DWC2_DIEPMSK, DWC2_EPINT_XFRC);
    wr(d, DWC2_DOEPMSK, DWC2_EPINT_XFRC | DWC2_EPINT_STUP);
    wr(d, DWC2_DAINTMSK, 0);
    wr(d, DWC2_DIEPEMPMSK, 0);
    for (unsigned n = 0; n < d->config.endpoints; n++) {
        uint32_t in = rd(d, DWC2_DIEPCTL(n)), out = rd(d, DWC2_DOEPCTL(n));
        wr(d, DWC2_DIEPCTL(n), in & DWC2_EPCTL_EPENA ? DWC2_EPCTL_EPDIS | DWC2_EPCTL_SNAK : 0u);
        wr(d, DWC2_DOEPCTL(n), out & DWC2_EPCTL_EPENA ? DWC2_EPCTL_EPDIS | DWC2_EPCTL_SNAK : 0u);
        wr(d, DWC2_DIEPTSIZ(n), 0);
        wr(d, DWC2_DOEPTSIZ(n), 0);
        wr(d, DWC2_DIEPINT(n), 0xFFFFu);
        wr(d, DWC2_DOEPINT(n), 0xFFFFu);
    }

    wr(d, DWC2_GINTSTS, 0xFFFFFFFFu);
    wr(d, DWC2_GINTMSK, DWC2_GINT_USBRST | DWC2_GINT_ENUMDNE | DWC2_GINT_USBSUSP | DWC2_GINT_WKUPINT |
                            DWC2_GINT_RXFLVL | DWC2_GINT_IEPINT | DWC2_GINT_OEPINT);
    /* TXFE when a TX FIFO is empty: then a whole packet always fits (at half empty a one-packet
     * FIFO would raise TXFE with no room, again and again until the host takes the packet). */
    wr(d, DWC2_GAHBCFG, DWC2_GAHBCFG_GINT | DWC2_GAHBCFG_TXFELVL);
    return true;
}
