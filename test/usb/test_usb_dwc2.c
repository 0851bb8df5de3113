/* The DWC2 driver on its own, over the OTG register model: the register map against the
 * reference manuals' numbers, core and PHY initialisation for both probes, what stops it from
 * starting, speed detection, the FIFO layout after configuration, endpoint 0 transfers longer
 * than a packet, OUT transfers longer than their buffer, suspend and resume, the interrupt line,
 * and what ep_open refuses. */
#include <string.h>

#include "check.h"
#include "usb/usb_dwc2_regs.h"
#include "usb/usb_phyc_f72x.h"
#include "usb_host.h"

static usb_rig rig;
static usb_host host;

static uint32_t reg(uint32_t offset)
{
    return rig.otg.mmio.read(&rig.otg.mmio, offset);
}

/* The numbers as RM0431 / RM0433 print them, typed here rather than taken from the header. */
static void register_map_matches_the_reference_manuals(void)
{
    CHECK_EQ(DWC2_GOTGCTL, 0x000);
    CHECK_EQ(DWC2_GAHBCFG, 0x008);
    CHECK_EQ(DWC2_GUSBCFG, 0x00C);
    CHECK_EQ(DWC2_GRSTCTL, 0x010);
    CHECK_EQ(DWC2_GINTSTS, 0x014);
    CHECK_EQ(DWC2_GINTMSK, 0x018);
    CHECK_EQ(DWC2_GRXSTSR, 0x01C);
    CHECK_EQ(DWC2_GRXSTSP, 0x020);
    CHECK_EQ(DWC2_GRXFSIZ, 0x024);
    CHECK_EQ(DWC2_DIEPTXF0, 0x028);
    CHECK_EQ(DWC2_GCCFG, 0x038);
    CHECK_EQ(DWC2_CID, 0x03C);
    CHECK_EQ(DWC2_DIEPTXF(1), 0x104);
    CHECK_EQ(DWC2_DIEPTXF(8), 0x120);
    CHECK_EQ(DWC2_DCFG, 0x800);
    CHECK_EQ(DWC2_DCTL, 0x804);
    CHECK_EQ(DWC2_DSTS, 0x808);
    CHECK_EQ(DWC2_DIEPMSK, 0x810);
    CHECK_EQ(DWC2_DOEPMSK, 0x814);
    CHECK_EQ(DWC2_DAINT, 0x818);
    CHECK_EQ(DWC2_DAINTMSK, 0x81C);
    CHECK_EQ(DWC2_DIEPEMPMSK, 0x834);
    CHECK_EQ(DWC2_DIEPCTL(0), 0x900);
    CHECK_EQ(DWC2_DIEPINT(0), 0x908);
    CHECK_EQ(DWC2_DIEPTSIZ(1), 0x930);
    CHECK_EQ(DWC2_DTXFSTS(1), 0x938);
    CHECK_EQ(DWC2_DIEPCTL(8), 0xA00);
    CHECK_EQ(DWC2_DOEPCTL(0), 0xB00);
    CHECK_EQ(DWC2_DOEPINT(2), 0xB48);
    CHECK_EQ(DWC2_DOEPTSIZ(0), 0xB10);
    CHECK_EQ(DWC2_PCGCCTL, 0xE00);
    CHECK_EQ(DWC2_FIFO(0), 0x1000);
    CHECK_EQ(DWC2_FIFO(1), 0x2000);

    CHECK_EQ(DWC2_GOTGCTL_BVALOEN, 0x40);
    CHECK_EQ(DWC2_GOTGCTL_BVALOVAL, 0x80);
    CHECK_EQ(DWC2_GAHBCFG_GINT, 0x1);
    CHECK_EQ(DWC2_GAHBCFG_TXFELVL, 0x80);
    CHECK_EQ(DWC2_GUSBCFG_PHYSEL, 0x40);
    CHECK_EQ(DWC2_GUSBCFG_ULPI_UTMI_SEL, 0x10);
    CHECK_EQ(DWC2_GUSBCFG_TRDT_MASK, 0x3C00);
    CHECK_EQ(DWC2_GUSBCFG_FDMOD, 0x40000000);
    CHECK_EQ(DWC2_GUSBCFG_FHMOD, 0x20000000);
    CHECK_EQ(DWC2_GRSTCTL_CSRST, 0x1);
    CHECK_EQ(DWC2_GRSTCTL_RXFFLSH, 0x10);
    CHECK_EQ(DWC2_GRSTCTL_TXFFLSH, 0x20);
    CHECK_EQ(DWC2_GRSTCTL_TXFNUM_ALL << DWC2_GRSTCTL_TXFNUM_SHIFT, 0x400);
    CHECK_EQ(DWC2_GRSTCTL_AHBIDL, 0x80000000);
    CHECK_EQ(DWC2_GINT_RXFLVL, 0x10);
    CHECK_EQ(DWC2_GINT_GONAKEFF, 0x80);
    CHECK_EQ(DWC2_GINT_USBSUSP, 0x800);
    CHECK_EQ(DWC2_GINT_USBRST, 0x1000);
    CHECK_EQ(DWC2_GINT_ENUMDNE, 0x2000);
    CHECK_EQ(DWC2_GINT_IEPINT, 0x40000);
    CHECK_EQ(DWC2_GINT_OEPINT, 0x80000);
    CHECK_EQ(DWC2_GINT_WKUPINT, 0x80000000);
    CHECK_EQ(DWC2_GCCFG_PWRDWN, 0x10000);
    CHECK_EQ(DWC2_GCCFG_VBDEN, 0x200000);
    CHECK_EQ(DWC2_GCCFG_PHYHSEN, 0x800000);
    CHECK_EQ(DWC2_DCFG_DAD_MASK, 0x7F0);
    CHECK_EQ(DWC2_DCTL_SDIS, 0x2);
    CHECK_EQ(DWC2_DCTL_SGONAK, 0x200);
    CHECK_EQ(DWC2_DCTL_CGONAK, 0x400);
    CHECK_EQ(DWC2_EPCTL_USBAEP, 0x8000);
    CHECK_EQ(DWC2_EPCTL_NAKSTS, 0x20000);
    CHECK_EQ(DWC2_EPCTL_EPTYP_MASK, 0xC0000);
    CHECK_EQ(DWC2_EPCTL_STALL, 0x200000);
    CHECK_EQ(DWC2_EPCTL_TXFNUM_MASK, 0x3C00000);
    CHECK_EQ(DWC2_EPCTL_CNAK, 0x4000000);
    CHECK_EQ(DWC2_EPCTL_SNAK, 0x8000000);
    CHECK_EQ(DWC2_EPCTL_SD0PID, 0x10000000);
    CHECK_EQ(DWC2_EPCTL_EPDIS, 0x40000000);
    CHECK_EQ(DWC2_EPCTL_EPENA, 0x80000000);
    CHECK_EQ(DWC2_EPINT_STUP, 0x8);
    CHECK_EQ(DWC2_EPINT_INEPNE, 0x40);
    CHECK_EQ(DWC2_EPINT_TXFE, 0x80);
    CHECK_EQ(DWC2_TSIZ_PKTCNT_MASK, 0x1FF80000);
    CHECK_EQ(3u << DWC2_TSIZ_STUPCNT_SHIFT, 0x60000000);
    /* a status entry: EP 2, 64 bytes, DATA1, OUT data */
    uint32_t status = 2u | (64u << 4) | (2u << 15) | (2u << 17);
    CHECK_EQ(DWC2_GRXSTS_EPNUM(status), 2);
    CHECK_EQ(DWC2_GRXSTS_BCNT(status), 64);
    CHECK_EQ(DWC2_GRXSTS_DPID(status), 2);
    CHECK_EQ(DWC2_GRXSTS_PKTSTS(status), DWC2_PKTSTS_OUT_DATA);
    CHECK_EQ(DWC2_PKTSTS_SETUP_DATA, 6);
    CHECK_EQ(DWC2_PKTSTS_SETUP_DONE, 4);
    CHECK_EQ(DWC2_PKTSTS_OUT_DONE, 3);
    CHECK_EQ(DWC2_PKTSTS_GONAK, 1);
    /* the F72x USB PHY controller */
    CHECK_EQ(USB_PHYC_F72X_BASE, 0x40017C00);
    CHECK_EQ(USB_PHYC_PLL1, 0x000);
    CHECK_EQ(USB_PHYC_TUNE, 0x00C);
    CHECK_EQ(USB_PHYC_LDO, 0x018);
    CHECK_EQ(USB_PHYC_PLL1_SEL_MASK, 0xE);
}

static void initialises_the_h7_otg_fs(void)
{
    CHECK(usb_rig_start(&rig, OTG_MODEL_FS));
    uint32_t usbcfg = reg(DWC2_GUSBCFG);
    CHECK(usbcfg & DWC2_GUSBCFG_FDMOD);
    CHECK(!(usbcfg & DWC2_GUSBCFG_FHMOD));
    CHECK(usbcfg & DWC2_GUSBCFG_PHYSEL);
    CHECK_EQ((usbcfg & DWC2_GUSBCFG_TRDT_MASK) >> DWC2_GUSBCFG_TRDT_SHIFT, 6);
    CHECK(reg(DWC2_GCCFG) & DWC2_GCCFG_PWRDWN);
    CHECK(!(reg(DWC2_GCCFG) & DWC2_GCCFG_VBDEN));
    CHECK_EQ(reg(DWC2_GOTGCTL) & 0xC0u, 0xC0); /* B session forced valid */
    CHECK_EQ(reg(DWC2_DCFG) & DWC2_DCFG_DSPD_MASK, DWC2_DCFG_DSPD_FS);
    CHECK_EQ(reg(DWC2_GAHBCFG), DWC2_GAHBCFG_GINT | DWC2_GAHBCFG_TXFELVL);
    uint32_t wanted = DWC2_GINT_USBRST | DWC2_GINT_ENUMDNE | DWC2_GINT_RXFLVL | DWC2_GINT_IEPINT | DWC2_GINT_OEPINT |
                      DWC2_GINT_USBSUSP | DWC2_GINT_WKUPINT;
    CHECK_EQ(reg(DWC2_GINTMSK) & wanted, wanted);
    CHECK(!(reg(DWC2_GINTMSK) & DWC2_GINT_SOF)); /* no interrupt every millisecond */
    /* RX FIFO: 13 words for SETUPs and the NAK entry, two 64-byte packets with their status, two
     * words per OUT endpoint; TX FIFO 0 right after it */
    CHECK_EQ(reg(DWC2_GRXFSIZ), 13 + 2 * 17 + 2 * 9 + 1);
    CHECK_EQ(reg(DWC2_DIEPTXF0), (16u << 16) | 66u);
    /* connected by usb_probe_init (the rig calls it) */
    const char *why = NULL;
    CHECK(otg_model_present(&rig.otg, &why));
    CHECK_EQ(rig.otg.errors, 0);
    /* before usb_probe_init, the device stays off the bus */
    usb_dwc2 d;
    otg_model m;
    otg_model_init(&m, OTG_MODEL_FS, NULL);
    usb_dwc2_config c = {.base = otg_model_base(&m), .endpoints = 9, .fifo_words = 1024};
    CHECK(usb_dwc2_init(&d, &c));
    CHECK(!otg_model_present(&m, &why));
    CHECK(why && strcmp(why, "soft-disconnected") == 0);
    usb_dwc2_dcd(&d)->connect(usb_dwc2_dcd(&d)->ctx, true);
    CHECK(otg_model_present(&m, &why));
    usb_dwc2_dcd(&d)->connect(usb_dwc2_dcd(&d)->ctx, false);
    CHECK(!otg_model_present(&m, &why));
}

static void initialises_the_f723_otg_hs_and_its_phy(void)
{
    CHECK(usb_rig_start(&rig, OTG_MODEL_HS_UTMI));
    uint32_t usbcfg = reg(DWC2_GUSBCFG);
    CHECK(usbcfg & DWC2_GUSBCFG_FDMOD);
    CHECK(!(usbcfg & DWC2_GUSBCFG_PHYSEL));
    CHECK(!(usbcfg & DWC2_GUSBCFG_ULPI_UTMI_SEL));
    CHECK_EQ((usbcfg & DWC2_GUSBCFG_TRDT_MASK) >> DWC2_GUSBCFG_TRDT_SHIFT, 9);
    CHECK(reg(DWC2_GCCFG) & DWC2_GCCFG_PHYHSEN);
    CHECK_EQ(reg(DWC2_DCFG) & DWC2_DCFG_DSPD_MASK, DWC2_DCFG_DSPD_HS);
    CHECK_EQ(reg(DWC2_GRXFSIZ), 13 + 2 * 129 + 2 * 9 + 1);
    /* the PHY: LDO on, PLL on the 25 MHz input, enabled */
    CHECK(rig.phyc.ldo & USB_PHYC_LDO_ENABLE);
    CHECK_EQ((rig.phyc.pll & USB_PHYC_PLL1_SEL_MASK) >> USB_PHYC_PLL1_SEL_SHIFT, 5);
    CHECK(rig.phyc.pll & USB_PHYC_PLL1_PLLEN);
    CHECK(phyc_model_clock_ok(&rig.phyc));
    CHECK(otg_model_present(&rig.otg, NULL));
    CHECK_EQ(rig.otg.errors, 0);
}

static void phy_controller_inputs(void)
{
    CHECK_EQ(usb_phyc_f72x_pll_select(12000000), 0);
    CHECK_EQ(usb_phyc_f72x_pll_select(12500000), 2);
    CHECK_EQ(usb_phyc_f72x_pll_select(16000000), 3);
    CHECK_EQ(usb_phyc_f72x_pll_select(24000000), 4);
    CHECK_EQ(usb_phyc_f72x_pll_select(25000000), 5);
    CHECK_EQ(usb_phyc_f72x_pll_select(8000000), -1);
    phyc_model p;
    phyc_model_init(&p, 3);
    CHECK(!usb_phyc_f72x_init(phyc_model_base(&p), 8000000, 0));
    CHECK(!(p.pll & USB_PHYC_PLL1_PLLEN));
    CHECK(usb_phyc_f72x_init(phyc_model_base(&p), 16000000, 0x123));
    CHECK_EQ(p.tune, 0x123);
    CHECK(phyc_model_clock_ok(&p));
    phyc_model_init(&p, 5);
    p.ldo_fails = true;
    CHECK(!usb_phyc_f72x_init(phyc_model_base(&p), 25000000, 0));
    CHECK(!(p.pll & USB_PHYC_PLL1_PLLEN));
}

static bool phy_does_nothing(void *ctx)
{
    (void)ctx;
    return true;
}

static bool phy_fails(void *ctx)
{
    (void)ctx;
    return false;
}

static void refuses_to_start_without_clocks(void)
{
    usb_dwc2 d;
    otg_model m;
    phyc_model p;
    /* the core's clock is off: the soft reset never completes */
    otg_model_init(&m, OTG_MODEL_FS, NULL);
    m.clock_on = false;
    usb_dwc2_config c = {.base = otg_model_base(&m), .endpoints = 9, .fifo_words = 1024};
    CHECK(!usb_dwc2_init(&d, &c));
    /* UTMI core whose PHY was never started: no PHY clock, no reset */
    phyc_model_init(&p, 5);
    otg_model_init(&m, OTG_MODEL_HS_UTMI, &p);
    c = (usb_dwc2_config){.base = otg_model_base(&m), .endpoints = 9, .fifo_words = 1024, .utmi_phy = true,
                          .phy_init = phy_does_nothing};
    CHECK(!usb_dwc2_init(&d, &c));
    c.phy_init = phy_fails;
    CHECK(!usb_dwc2_init(&d, &c));
    c.endpoints = 17;
    CHECK(!usb_dwc2_init(&d, &c));
}

static void reset_event(usb_dwc2 *d, usb_event *e)
{
    const usb_dcd *dcd = usb_dwc2_dcd(d);
    memset(e, 0, sizeof *e);
    e->kind = USB_EVENT_SUSPEND;
    while (dcd->next_event(dcd->ctx, e))
        if (e->kind == USB_EVENT_RESET) return;
}

static void detects_the_speed(void)
{
    static const struct {
        otg_model_kind kind;
        bool host_hs, expect_hs;
        uint32_t enumspd;
    } cases[] = {
        {OTG_MODEL_FS, false, false, 3},
        {OTG_MODEL_FS, true, false, 3}, /* a high-speed host still gets full speed */
        {OTG_MODEL_HS_UTMI, true, true, 0},
        {OTG_MODEL_HS_UTMI, false, false, 1},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(usb_rig_start(&rig, cases[i].kind));
        CHECK(otg_model_bus_reset(&rig.otg, cases[i].host_hs));
        CHECK_EQ(DWC2_DSTS_ENUMSPD(reg(DWC2_DSTS)), cases[i].enumspd);
        usb_event e;
        reset_event(&rig.dwc2, &e);
        CHECK_EQ(e.kind, USB_EVENT_RESET);
        CHECK_EQ(e.high_speed, cases[i].expect_hs);
        uint32_t trdt = (reg(DWC2_GUSBCFG) & DWC2_GUSBCFG_TRDT_MASK) >> DWC2_GUSBCFG_TRDT_SHIFT;
        CHECK_EQ(trdt, cases[i].expect_hs ? 9 : 6);
    }
}

static void configure(otg_model_kind kind, bool hs)
{
    CHECK(usb_rig_start(&rig, kind));
    usb_host_init(&host, &rig.otg);
    CHECK(usb_host_reset(&host, hs));
    CHECK_EQ(usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
}

static void lays_out_the_fifos(void)
{
    char why[100] = "";
    configure(OTG_MODEL_HS_UTMI, true);
    CHECK(otg_model_fifos_ok(&rig.otg, why, sizeof why));
    /* bulk IN endpoints get two 512-byte packets while the RAM lasts; CMSIS-DAP v2 first */
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 6), 256);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 5), 16);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 1), 16);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 2), 256);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 3), 16);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 4), 128); /* the last one: what is left holds one */
    CHECK(rig.dwc2.fifo_next <= 1024);
    CHECK_EQ(rig.otg.errors, 0);

    configure(OTG_MODEL_FS, false);
    CHECK(otg_model_fifos_ok(&rig.otg, why, sizeof why));
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 6), 32);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 2), 32);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 4), 32);
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 5), 16);
    /* configured again: the same FIFOs, nothing allocated twice */
    uint16_t next = rig.dwc2.fifo_next;
    CHECK_EQ(usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    CHECK_EQ(rig.dwc2.fifo_next, next);
    /* a bus reset starts the layout afresh */
    CHECK(usb_host_reset(&host, false));
    CHECK_EQ(rig.dwc2.fifo_next, 66 + 16);
    CHECK_EQ(usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    CHECK_EQ(rig.dwc2.fifo_next, next);
    CHECK_EQ(rig.otg.errors, 0);
}

/* The seam used directly, the way the device core uses it. */
static void endpoint_transfers_through_the_seam(void)
{
    configure(OTG_MODEL_FS, false);
    const usb_dcd *dcd = usb_dwc2_dcd(&rig.dwc2);
    void *ctx = dcd->ctx;
    usb_event e;
    while (dcd->next_event(ctx, &e)) {
    }
    /* endpoint 7 (not used by the probe): an IN transfer of 150 bytes goes as 64 + 64 + 22 */
    CHECK(dcd->ep_open(ctx, 0x87, 2, 64));
    CHECK(dcd->ep_open(ctx, 0x07, 2, 64));
    static uint8_t data[150], got[200];
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i ^ 0x5A);
    CHECK(dcd->ep_xfer(ctx, 0x87, data, sizeof data));
    CHECK(!dcd->ep_xfer(ctx, 0x87, data, sizeof data)); /* busy */
    size_t n = 0;
    bool data1 = false;
    size_t total = 0;
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(otg_model_in(&rig.otg, 0, 0x87, got + total, 64, &n, &data1), OTG_ACK);
        CHECK_EQ(data1, i & 1u);
        total += n;
        /* the driver refills the FIFO as it empties */
        if (i < 2) {
            CHECK(!dcd->next_event(ctx, &e));
        }
    }
    CHECK_EQ(total, 150);
    CHECK(memcmp(got, data, 150) == 0);
    CHECK(dcd->next_event(ctx, &e));
    CHECK_EQ(e.kind, USB_EVENT_XFER_DONE);
    CHECK_EQ(e.ep, 0x87);
    CHECK_EQ(e.length, 150);

    /* an OUT transfer of 10 bytes takes a full packet: the rest of it is dropped */
    uint8_t buffer[16];
    memset(buffer, 0xEE, sizeof buffer);
    CHECK(dcd->ep_xfer(ctx, 0x07, buffer, 10));
    CHECK_EQ(otg_model_out(&rig.otg, 0, 0x07, data, 64, false), OTG_ACK);
    CHECK(dcd->next_event(ctx, &e));
    CHECK_EQ(e.kind, USB_EVENT_XFER_DONE);
    CHECK_EQ(e.ep, 0x07);
    CHECK_EQ(e.length, 10);
    CHECK(memcmp(buffer, data, 10) == 0);
    CHECK_EQ(buffer[10], 0xEE);
    /* an OUT transfer ends at its length: 128 bytes as two full packets, no ZLP needed */
    static uint8_t two[128];
    CHECK(dcd->ep_xfer(ctx, 0x07, two, sizeof two));
    CHECK_EQ(otg_model_out(&rig.otg, 0, 0x07, data, 64, true), OTG_ACK);
    CHECK(!dcd->next_event(ctx, &e));
    CHECK_EQ(otg_model_out(&rig.otg, 0, 0x07, data + 64, 64, false), OTG_ACK);
    CHECK(dcd->next_event(ctx, &e));
    CHECK_EQ(e.length, 128);
    CHECK(memcmp(two, data, 128) == 0);
    /* a zero-length IN transfer is a ZLP */
    CHECK(dcd->ep_xfer(ctx, 0x87, NULL, 0));
    CHECK_EQ(otg_model_in(&rig.otg, 0, 0x87, got, 64, &n, &data1), OTG_ACK);
    CHECK_EQ(n, 0);
    CHECK(dcd->next_event(ctx, &e));
    CHECK_EQ(e.length, 0);
    CHECK_EQ(rig.otg.errors, 0);
    CHECK_EQ(rig.otg.toggle_mismatches, 0);
}

static void refuses_what_it_cannot_open(void)
{
    configure(OTG_MODEL_FS, false);
    const usb_dcd *dcd = usb_dwc2_dcd(&rig.dwc2);
    void *ctx = dcd->ctx;
    CHECK(!dcd->ep_open(ctx, 0x81, 1, 64));  /* isochronous */
    CHECK(!dcd->ep_open(ctx, 0x89, 2, 64));  /* endpoint 9: the core has 0..8 */
    CHECK(!dcd->ep_open(ctx, 0x81, 0, 64));  /* control on a non-zero endpoint */
    CHECK(!dcd->ep_open(ctx, 0x81, 2, 0));   /* no packet size */
    CHECK(!dcd->ep_open(ctx, 0x00, 0, 24));  /* endpoint 0 takes 8, 16, 32 or 64 */
    CHECK(!dcd->ep_xfer(ctx, 0x88, NULL, 0)); /* not open */
    CHECK(!dcd->ep_xfer(ctx, 0x89, NULL, 0));
    /* the FIFO RAM runs out (as if it had only 20 words more than the probe uses): a bulk
     * endpoint falls back to a one-packet FIFO, the next finds no room */
    rig.dwc2.config.fifo_words = (uint16_t)(rig.dwc2.fifo_next + 20);
    CHECK(dcd->ep_open(ctx, 0x87, 2, 64));
    CHECK_EQ(otg_model_tx_depth(&rig.otg, 7), 16);
    CHECK(!dcd->ep_open(ctx, 0x88, 2, 64));
    CHECK(dcd->ep_open(ctx, 0x87, 2, 64)); /* opened again: it keeps its FIFO */
    CHECK_EQ(rig.otg.errors, 0);
}

static void suspend_resume_and_the_interrupt_line(void)
{
    CHECK(usb_rig_start(&rig, OTG_MODEL_FS));
    const usb_dcd *dcd = usb_dwc2_dcd(&rig.dwc2);
    usb_event e;
    CHECK(!otg_model_irq_line(&rig.otg));
    CHECK(otg_model_bus_reset(&rig.otg, false));
    CHECK(otg_model_irq_line(&rig.otg));
    /* the interrupt handler records; the task takes */
    usb_dwc2_irq(&rig.dwc2);
    CHECK(!otg_model_irq_line(&rig.otg));
    CHECK(dcd->next_event(dcd->ctx, &e));
    CHECK_EQ(e.kind, USB_EVENT_RESET);
    CHECK(!dcd->next_event(dcd->ctx, &e));
    otg_model_suspend(&rig.otg);
    CHECK(otg_model_irq_line(&rig.otg));
    /* while a seam call runs, the handler leaves the core alone */
    rig.dwc2.in_seam = true;
    usb_dwc2_irq(&rig.dwc2);
    CHECK(otg_model_irq_line(&rig.otg));
    rig.dwc2.in_seam = false;
    usb_dwc2_irq(&rig.dwc2);
    CHECK(dcd->next_event(dcd->ctx, &e));
    CHECK_EQ(e.kind, USB_EVENT_SUSPEND);
    otg_model_resume(&rig.otg);
    CHECK(dcd->next_event(dcd->ctx, &e)); /* found by the task's own poll */
    CHECK_EQ(e.kind, USB_EVENT_RESUME);
    /* the seam's calls leave the interrupt enabled behind them */
    CHECK(reg(DWC2_GAHBCFG) & DWC2_GAHBCFG_GINT);
    CHECK_EQ(rig.dwc2.lost_events, 0);
}

int main(void)
{
    RUN(register_map_matches_the_reference_manuals);
    RUN(initialises_the_h7_otg_fs);
    RUN(initialises_the_f723_otg_hs_and_its_phy);
    RUN(phy_controller_inputs);
    RUN(refuses_to_start_without_clocks);
    RUN(detects_the_speed);
    RUN(lays_out_the_fifos);
    RUN(endpoint_transfers_through_the_seam);
    RUN(refuses_what_it_cannot_open);
    RUN(suspend_resume_and_the_interrupt_line);
    return CHECK_SUMMARY();
}
