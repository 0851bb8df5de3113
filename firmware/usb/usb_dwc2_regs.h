/* The Synopsys DWC2 OTG core's registers, device mode: offsets from the core's base and the bits
 * this driver and its register model (test/usb/otg_model.c) use. Names follow the STM32
 * reference manuals (RM0431 for the F72x OTG_HS, RM0433 for the H7 OTG cores), which describe the
 * same core; a bit that only one of them has says so. Private to firmware/usb and its tests. */
#ifndef USB_DWC2_REGS_H
#define USB_DWC2_REGS_H

/* Global registers */
#define DWC2_GOTGCTL 0x000u
#define DWC2_GOTGCTL_BVALOEN (1u << 6)  /* B-peripheral session valid override enable */
#define DWC2_GOTGCTL_BVALOVAL (1u << 7) /* ... and its value */

#define DWC2_GAHBCFG 0x008u
#define DWC2_GAHBCFG_GINT (1u << 0)    /* global interrupt enable (the core's interrupt line) */
#define DWC2_GAHBCFG_TXFELVL (1u << 7) /* 1: TXFE means the TX FIFO is empty; 0: half empty */

#define DWC2_GUSBCFG 0x00Cu
#define DWC2_GUSBCFG_ULPI_UTMI_SEL (1u << 4) /* 0: UTMI+ (the F72x internal HS PHY), 1: ULPI */
#define DWC2_GUSBCFG_PHYSEL (1u << 6)        /* 1: the full-speed serial transceiver */
#define DWC2_GUSBCFG_TRDT_SHIFT 10u          /* USB turnaround time, 4 bits, in PHY clocks */
#define DWC2_GUSBCFG_TRDT_MASK (0xFu << 10)
#define DWC2_GUSBCFG_ULPIFSLS (1u << 17)
#define DWC2_GUSBCFG_ULPIEVBUSD (1u << 20)
#define DWC2_GUSBCFG_ULPIEVBUSI (1u << 21)
#define DWC2_GUSBCFG_TSDPS (1u << 22)
#define DWC2_GUSBCFG_FHMOD (1u << 29) /* force host mode */
#define DWC2_GUSBCFG_FDMOD (1u << 30) /* force device mode */

#define DWC2_GRSTCTL 0x010u
#define DWC2_GRSTCTL_CSRST (1u << 0)   /* core soft reset, self-clearing */
#define DWC2_GRSTCTL_RXFFLSH (1u << 4) /* RX FIFO flush, self-clearing */
#define DWC2_GRSTCTL_TXFFLSH (1u << 5) /* TX FIFO flush, self-clearing */
#define DWC2_GRSTCTL_TXFNUM_SHIFT 6u   /* which TX FIFO to flush, 5 bits; 0x10: all */
#define DWC2_GRSTCTL_TXFNUM_ALL 0x10u
#define DWC2_GRSTCTL_AHBIDL (1u << 31) /* AHB master idle */

/* GINTSTS (status, mostly write 1 to clear) and GINTMSK (the same bits, 1 = enabled) */
#define DWC2_GINTSTS 0x014u
#define DWC2_GINTMSK 0x018u
#define DWC2_GINT_CMOD (1u << 0) /* current mode: 1 host, 0 device (read only) */
#define DWC2_GINT_MMIS (1u << 1)
#define DWC2_GINT_SOF (1u << 3)
#define DWC2_GINT_RXFLVL (1u << 4)   /* the RX FIFO holds at least one status entry (read only) */
#define DWC2_GINT_GONAKEFF (1u << 7) /* global OUT NAK effective (cleared through DCTL.CGONAK) */
#define DWC2_GINT_ESUSP (1u << 10)
#define DWC2_GINT_USBSUSP (1u << 11)
#define DWC2_GINT_USBRST (1u << 12)
#define DWC2_GINT_ENUMDNE (1u << 13)
#define DWC2_GINT_IEPINT (1u << 18) /* an IN endpoint interrupt: see DAINT (read only) */
#define DWC2_GINT_OEPINT (1u << 19) /* an OUT endpoint interrupt: see DAINT (read only) */
#define DWC2_GINT_WKUPINT (1u << 31)

/* The RX status queue: GRXSTSR reads the top entry, GRXSTSP reads and pops it; the packet's data
 * then comes from the FIFO window (DWC2_FIFO(0)). */
#define DWC2_GRXSTSR 0x01Cu
#define DWC2_GRXSTSP 0x020u
#define DWC2_GRXSTS_EPNUM(v) ((v) & 0xFu)
#define DWC2_GRXSTS_BCNT(v) (((v) >> 4) & 0x7FFu)
#define DWC2_GRXSTS_DPID(v) (((v) >> 15) & 3u)
#define DWC2_GRXSTS_PKTSTS(v) (((v) >> 17) & 0xFu)
#define DWC2_PKTSTS_GONAK 1u        /* global OUT NAK took effect */
#define DWC2_PKTSTS_OUT_DATA 2u     /* an OUT data packet (BCNT bytes follow) */
#define DWC2_PKTSTS_OUT_DONE 3u     /* an OUT transfer completed (XFRC follows when popped) */
#define DWC2_PKTSTS_SETUP_DONE 4u   /* the SETUP stage completed (STUP follows when popped) */
#define DWC2_PKTSTS_SETUP_DATA 6u   /* a SETUP packet (8 bytes follow) */

#define DWC2_GRXFSIZ 0x024u    /* RX FIFO depth in words (its start is word 0) */
#define DWC2_DIEPTXF0 0x028u   /* TX FIFO 0 (endpoint 0): start word [15:0], depth [31:16] */
#define DWC2_GCCFG 0x038u
#define DWC2_GCCFG_PWRDWN (1u << 16)  /* 1: the full-speed transceiver is powered */
#define DWC2_GCCFG_VBDEN (1u << 21)   /* VBUS detection enable */
#define DWC2_GCCFG_PHYHSEN (1u << 23) /* F72x OTG_HS: the internal high-speed PHY is enabled */
#define DWC2_CID 0x03Cu
#define DWC2_DIEPTXF(n) (0x104u + 4u * ((n) - 1u)) /* TX FIFO n >= 1: start [15:0], depth [31:16] */

/* Device registers */
#define DWC2_DCFG 0x800u
#define DWC2_DCFG_DSPD_MASK 3u
#define DWC2_DCFG_DSPD_HS 0u       /* high speed (UTMI PHY) */
#define DWC2_DCFG_DSPD_FS_HSPHY 1u /* full speed on a high-speed PHY */
#define DWC2_DCFG_DSPD_FS 3u       /* full speed on the internal FS transceiver */
#define DWC2_DCFG_DAD_SHIFT 4u     /* device address, 7 bits */
#define DWC2_DCFG_DAD_MASK (0x7Fu << 4)

#define DWC2_DCTL 0x804u
#define DWC2_DCTL_RWUSIG (1u << 0)
#define DWC2_DCTL_SDIS (1u << 1) /* soft disconnect: 1 removes the pull-up */
#define DWC2_DCTL_SGINAK (1u << 7)
#define DWC2_DCTL_CGINAK (1u << 8)
#define DWC2_DCTL_SGONAK (1u << 9)
#define DWC2_DCTL_CGONAK (1u << 10)

#define DWC2_DSTS 0x808u
#define DWC2_DSTS_SUSPSTS (1u << 0)
#define DWC2_DSTS_ENUMSPD(v) (((v) >> 1) & 3u) /* 0: high speed, 1: FS on the HS PHY, 3: FS */

#define DWC2_DIEPMSK 0x810u
#define DWC2_DOEPMSK 0x814u
#define DWC2_DAINT 0x818u      /* [15:0] IN endpoints, [31:16] OUT endpoints */
#define DWC2_DAINTMSK 0x81Cu
#define DWC2_DIEPEMPMSK 0x834u /* per IN endpoint: TXFE raises its interrupt */

/* Endpoint registers: IN at 0x900, OUT at 0xB00, 0x20 apart */
#define DWC2_DIEPCTL(n) (0x900u + 0x20u * (n))
#define DWC2_DIEPINT(n) (0x908u + 0x20u * (n))
#define DWC2_DIEPTSIZ(n) (0x910u + 0x20u * (n))
#define DWC2_DTXFSTS(n) (0x918u + 0x20u * (n)) /* free words in the endpoint's TX FIFO */
#define DWC2_DOEPCTL(n) (0xB00u + 0x20u * (n))
#define DWC2_DOEPINT(n) (0xB08u + 0x20u * (n))
#define DWC2_DOEPTSIZ(n) (0xB10u + 0x20u * (n))

/* DIEPCTLx / DOEPCTLx */
#define DWC2_EPCTL_MPSIZ_MASK 0x7FFu   /* max packet; on endpoint 0 two bits: 0 = 64 bytes */
#define DWC2_EPCTL_USBAEP (1u << 15)   /* active endpoint (always 1 on endpoint 0) */
#define DWC2_EPCTL_DPID (1u << 16)     /* data PID of the next packet (read only) */
#define DWC2_EPCTL_NAKSTS (1u << 17)   /* the endpoint answers NAK (read only) */
#define DWC2_EPCTL_EPTYP_SHIFT 18u     /* 0 control, 2 bulk, 3 interrupt */
#define DWC2_EPCTL_EPTYP_MASK (3u << 18)
#define DWC2_EPCTL_STALL (1u << 21)
#define DWC2_EPCTL_TXFNUM_SHIFT 22u    /* IN: the TX FIFO number, 4 bits */
#define DWC2_EPCTL_TXFNUM_MASK (0xFu << 22)
#define DWC2_EPCTL_CNAK (1u << 26)     /* write 1: clear NAK */
#define DWC2_EPCTL_SNAK (1u << 27)     /* write 1: set NAK */
#define DWC2_EPCTL_SD0PID (1u << 28)   /* write 1: the next data PID is DATA0 */
#define DWC2_EPCTL_EPDIS (1u << 30)
#define DWC2_EPCTL_EPENA (1u << 31)

/* DIEPINTx / DOEPINTx (write 1 to clear; TXFE is read only) and the masks DIEPMSK/DOEPMSK */
#define DWC2_EPINT_XFRC (1u << 0)   /* transfer completed */
#define DWC2_EPINT_EPDISD (1u << 1) /* endpoint disabled */
#define DWC2_EPINT_STUP (1u << 3)   /* OUT 0: the SETUP stage is done */
#define DWC2_EPINT_INEPNE (1u << 6) /* IN: the NAK set by SNAK is effective */
#define DWC2_EPINT_TXFE (1u << 7)   /* IN: the TX FIFO is (half) empty */

/* DIEPTSIZx / DOEPTSIZx */
#define DWC2_TSIZ_XFRSIZ_MASK 0x7FFFFu /* bytes; 7 bits on endpoint 0 */
#define DWC2_TSIZ_PKTCNT_SHIFT 19u      /* packets; 10 bits (endpoint 0: IN 2 bits, OUT 1 bit) */
#define DWC2_TSIZ_PKTCNT_MASK (0x3FFu << 19)
#define DWC2_TSIZ_STUPCNT_SHIFT 29u     /* OUT 0: back-to-back SETUP packets it may take */

#define DWC2_PCGCCTL 0xE00u

/* The data FIFO windows: pushing to window n fills IN endpoint n's TX FIFO; reading any window
 * pops the RX FIFO. */
#define DWC2_FIFO(n) (0x1000u + 0x1000u * (n))

#endif
