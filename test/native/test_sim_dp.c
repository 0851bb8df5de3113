/* The simulated debug port as a debugger sees it: the bit-level SWD wire (with a host-side bit-banger
 * written here), the SW-DP, the MEM-APs and fault injection. */
#include "check.h"
#include "sim_target.h"

#define OK SIM_ACK_OK
#define WAIT SIM_ACK_WAIT
#define FAULT SIM_ACK_FAULT
#define NONE SIM_ACK_NONE
#define SRAM 0x20000000u

/* --- host side, bit by bit (ADIv5.2 B4.2) ------------------------------------------------- */

typedef struct {
    unsigned trn;          /* turnaround cycles the host uses */
    bool bad_request_parity;
    bool no_park;
    bool bad_data_parity;
} host_opts;

static void ones(sim_target *t)
{
    sim_wire_out(t, 0xFFFFFFFFu, 32);
    sim_wire_out(t, 0xFFFFFFFFu, 28);
}

/* A line reset followed by two idle cycles. */
static void line_reset(sim_target *t)
{
    ones(t);
    sim_wire_out(t, 0, 2);
}

static unsigned parity(uint32_t v) { return (unsigned)__builtin_popcount(v) & 1; }

static unsigned xfer_opts(sim_target *t, bool ap, bool read, unsigned addr, uint32_t *data, host_opts o)
{
    unsigned a2 = (addr >> 2) & 1, a3 = (addr >> 3) & 1;
    unsigned p = ap ^ read ^ a2 ^ a3;
    if (o.bad_request_parity) p ^= 1;
    uint32_t request = 1u | ap << 1 | read << 2 | a2 << 3 | a3 << 4 | p << 5 | (o.no_park ? 0 : 1u << 7);
    sim_wire_out(t, request, 8);
    sim_wire_in(t, o.trn);
    unsigned ack = sim_wire_in(t, 3);
    if (ack == OK && read) {
        uint32_t v = sim_wire_in(t, 32);
        unsigned par = sim_wire_in(t, 1);
        CHECK_EQ(par, parity(v));
        *data = v;
        sim_wire_in(t, o.trn);
    } else if (ack == OK) {
        sim_wire_in(t, o.trn);
        sim_wire_out(t, *data, 32);
        sim_wire_out(t, parity(*data) ^ (o.bad_data_parity ? 1 : 0), 1);
    } else {
        sim_wire_in(t, o.trn);
    }
    sim_wire_out(t, 0, 8); /* idle cycles */
    return ack;
}

static unsigned xfer(sim_target *t, bool ap, bool read, unsigned addr, uint32_t *data)
{
    return xfer_opts(t, ap, read, addr, data, (host_opts){.trn = 1});
}

static void jtag_to_swd(sim_target *t)
{
    ones(t); /* the select sequence must follow the ones directly */
    sim_wire_out(t, 0xE79E, 16);
    line_reset(t);
}

static void dormant_to_swd(sim_target *t)
{
    static const uint32_t alert[4] = {0x6209F392u, 0x86852D95u, 0xE3DDAFE9u, 0x19BC0EA2u};
    sim_wire_out(t, 0xFF, 8);
    for (unsigned i = 0; i < 4; i++) sim_wire_out(t, alert[i], 32);
    sim_wire_out(t, 0, 4);
    sim_wire_out(t, 0x1A, 8);
    line_reset(t);
}

static uint32_t read_dpidr(sim_target *t)
{
    uint32_t v = 0;
    CHECK_EQ(xfer(t, false, true, 0, &v), OK);
    return v;
}

/* A connected, powered target with AP0 selected. */
static void connect(sim_target *t, const char *profile)
{
    CHECK_EQ(sim_target_init(t, profile), SIM_OK);
    jtag_to_swd(t);
    read_dpidr(t);
    uint32_t v = 0x50000000;
    CHECK_EQ(sim_dp_transfer(t, false, false, 4, &v), OK);
    for (int i = 0; i < 20; i++) {
        CHECK_EQ(sim_dp_transfer(t, false, true, 4, &v), OK);
        if ((v & 0xA0000000u) == 0xA0000000u) break;
    }
    CHECK_EQ(v & 0xA0000000u, 0xA0000000u);
}

static unsigned dp_w(sim_target *t, unsigned addr, uint32_t v) { return sim_dp_transfer(t, false, false, addr, &v); }
static unsigned ap_w(sim_target *t, unsigned addr, uint32_t v) { return sim_dp_transfer(t, true, false, addr, &v); }
static uint32_t dp_r(sim_target *t, unsigned addr)
{
    uint32_t v = 0;
    CHECK_EQ(sim_dp_transfer(t, false, true, addr, &v), OK);
    return v;
}
/* AP read, posted: returns the value by way of RDBUFF. */
static uint32_t ap_r(sim_target *t, unsigned addr)
{
    uint32_t v = 0;
    CHECK_EQ(sim_dp_transfer(t, true, true, addr, &v), OK);
    return dp_r(t, 0xC);
}

/* --- the wire --------------------------------------------------------------------------------- */

static void test_connect_each_profile_on_the_wire(void)
{
    static const struct { const char *name; uint32_t dpidr; bool dpv2; } cases[] = {
        {"stm32f103", 0x1BA01477, false}, {"stm32f407", 0x2BA01477, false}, {"stm32h743", 0x6BA02477, true}};
    for (unsigned i = 0; i < 3; i++) {
        sim_target t;
        CHECK_EQ(sim_target_init(&t, cases[i].name), SIM_OK);
        uint32_t v = 0;
        line_reset(&t);
        CHECK_EQ(xfer(&t, false, true, 0, &v), NONE); /* still JTAG after power-on */
        jtag_to_swd(&t);
        CHECK_EQ(read_dpidr(&t), cases[i].dpidr);
        sim_target_free(&t);
    }
}

static void test_dormant_state_on_dpv2(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32h743"), SIM_OK);
    ones(&t);
    sim_wire_out(&t, 0x33BBBBBA, 31); /* JTAG-to-dormant */
    line_reset(&t);
    uint32_t v;
    CHECK_EQ(xfer(&t, false, true, 0, &v), NONE); /* dormant ignores packets and line resets */
    dormant_to_swd(&t);
    CHECK_EQ(read_dpidr(&t), 0x6BA02477);
    /* SWD-to-dormant straight after a line reset, then wake again */
    ones(&t);
    sim_wire_out(&t, 0xE3BC, 16); /* SWD-to-dormant */
    line_reset(&t);
    CHECK_EQ(xfer(&t, false, true, 0, &v), NONE);
    dormant_to_swd(&t);
    CHECK_EQ(read_dpidr(&t), 0x6BA02477);
    sim_target_free(&t);
    /* a DPv1 part has no dormant state: the alert does not wake it, JTAG-to-SWD does */
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    dormant_to_swd(&t);
    CHECK_EQ(xfer(&t, false, true, 0, &v), NONE);
    jtag_to_swd(&t);
    CHECK_EQ(read_dpidr(&t), 0x1BA01477);
    sim_target_free(&t);
}

static void test_protocol_errors_get_no_response(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    jtag_to_swd(&t);
    read_dpidr(&t);
    uint32_t v = 0;
    CHECK_EQ(xfer_opts(&t, false, true, 0, &v, (host_opts){.trn = 1, .bad_request_parity = true}), NONE);
    CHECK_EQ(xfer(&t, false, true, 0, &v), NONE); /* locked out until a line reset */
    line_reset(&t);
    read_dpidr(&t);
    CHECK_EQ(xfer_opts(&t, false, true, 0, &v, (host_opts){.trn = 1, .no_park = true}), NONE);
    line_reset(&t);
    /* after a line reset, anything but a DPIDR read is ignored */
    CHECK_EQ(xfer(&t, false, true, 4, &v), NONE);
    line_reset(&t);
    read_dpidr(&t);
    CHECK_EQ(xfer(&t, false, true, 4, &v), OK);
    sim_target_free(&t);
}

static void test_write_data_parity_error(void)
{
    sim_target t;
    connect(&t, "stm32f103");
    uint32_t v = 0x12345678;
    CHECK_EQ(xfer_opts(&t, false, false, 8, &v, (host_opts){.trn = 1, .bad_data_parity = true}), OK);
    CHECK(dp_r(&t, 4) & (1u << 7)); /* WDATAERR */
    CHECK_EQ(dp_r(&t, 0x8), 0);     /* RESEND, allowed while sticky */
    uint32_t x = 0;
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0xC, &x), FAULT);
    CHECK_EQ(dp_w(&t, 0, 1u << 3), OK); /* ABORT.WDERRCLR */
    CHECK(!(dp_r(&t, 4) & (1u << 7)));
    sim_target_free(&t);
}

static void test_turnaround_length(void)
{
    sim_target t;
    connect(&t, "stm32f407");
    CHECK_EQ(dp_w(&t, 8, 1), OK);        /* DPBANKSEL 1: DLCR */
    CHECK_EQ(dp_w(&t, 4, 1u << 8), OK);  /* TURNROUND = 1: two cycles */
    CHECK_EQ(dp_r(&t, 4), 1u << 8);
    uint32_t v = 0;
    CHECK_EQ(xfer_opts(&t, false, true, 0, &v, (host_opts){.trn = 2}), OK);
    CHECK_EQ(v, 0x2BA01477);
    uint64_t before = t.now_ps;
    CHECK_EQ(sim_dp_transfer(&t, false, true, 0, &v), OK);
    CHECK_EQ(t.now_ps - before, sim_time_cycles_to_ps(8 + 2 + 3 + 33 + 2, t.dp.swd_hz));
    sim_target_free(&t);
}

/* --- DP and AP semantics ------------------------------------------------------------------------ */

static void test_power_up_handshake(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    jtag_to_swd(&t);
    read_dpidr(&t);
    uint32_t v = 0;
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0xC, &v), FAULT); /* debug domain off */
    CHECK(dp_r(&t, 4) & (1u << 5));                         /* STICKYERR */
    CHECK_EQ(dp_w(&t, 0, 0x1E), OK);
    CHECK_EQ(dp_w(&t, 4, 0x50000000), OK);
    CHECK_EQ(dp_r(&t, 4) & 0xA0000000u, 0); /* not yet: the ACKs follow after a delay */
    sim_target_advance(&t, 100000000); /* 100 µs */
    CHECK_EQ(dp_r(&t, 4) & 0xF0000000u, 0xF0000000u);
    CHECK_EQ(ap_r(&t, 0x0) & 0x40, 0x40); /* CSW.DeviceEn: the AP answers now */
    sim_target_free(&t);
}

static void test_posted_reads_and_ap_identity(void)
{
    sim_target t;
    connect(&t, "stm32f407");
    CHECK_EQ(dp_w(&t, 8, 0xF0), OK); /* APBANKSEL 0xF */
    uint32_t first = 0xFFFFFFFF, second = 0;
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0xC, &first), OK);  /* IDR, posted */
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0x8, &second), OK); /* BASE; returns IDR */
    CHECK_EQ(second, 0x24770011);
    CHECK_EQ(dp_r(&t, 0xC), 0xE00FF003); /* RDBUFF: the BASE read */
    CHECK_EQ(dp_r(&t, 0xC), 0xE00FF003); /* RDBUFF does not start another access */
    sim_target_free(&t);
}

static void test_tar_increment_wraps_in_its_block(void)
{
    sim_target t;
    connect(&t, "stm32f103");
    CHECK(!sim_dp_set_tar_wrap(&t, 512));
    /* the Cortex-M AHB-AP: 4 KiB blocks */
    CHECK_EQ(dp_w(&t, 8, 0), OK);
    CHECK_EQ(ap_w(&t, 0, 0x23000012), OK);
    CHECK_EQ(ap_w(&t, 4, SRAM + 0xFFC), OK);
    CHECK_EQ(ap_w(&t, 0xC, 0xB0), OK);
    CHECK_EQ(ap_r(&t, 4), SRAM + 0x000);
    CHECK_EQ(ap_w(&t, 4, SRAM + 0x3FC), OK);
    CHECK_EQ(ap_w(&t, 0xC, 0xB1), OK);
    CHECK_EQ(ap_r(&t, 4), SRAM + 0x400); /* crosses 1 KiB: fine within 4 KiB */
    /* set to the architectural minimum of 1 KiB */
    CHECK(sim_dp_set_tar_wrap(&t, 1024));
    CHECK_EQ(ap_w(&t, 0, 0x23000012), OK); /* 32-bit, single increment */
    CHECK_EQ(ap_w(&t, 4, SRAM + 0x3F8), OK);
    for (uint32_t i = 0; i < 4; i++) CHECK_EQ(ap_w(&t, 0xC, 0xA0 + i), OK);
    CHECK_EQ(ap_r(&t, 4), SRAM + 0x008); /* wrapped inside the 1 KiB block */
    uint32_t v;
    sim_bus_read(&t, SRAM + 0x3F8, 4, &v, SIM_MASTER_DEBUG);
    CHECK_EQ(v, 0xA0);
    sim_bus_read(&t, SRAM + 0x000, 4, &v, SIM_MASTER_DEBUG);
    CHECK_EQ(v, 0xA2);
    sim_bus_read(&t, SRAM + 0x400, 4, &v, SIM_MASTER_DEBUG);
    CHECK_EQ(v, 0); /* not the next block */
    sim_target_free(&t);
}

static void test_byte_lanes_packed_and_banked(void)
{
    sim_target t;
    connect(&t, "stm32f407");
    CHECK_EQ(ap_w(&t, 0, 0x23000010), OK); /* 8-bit, single increment */
    CHECK_EQ(ap_w(&t, 4, SRAM + 1), OK);
    CHECK_EQ(ap_w(&t, 0xC, 0x0000AB00), OK); /* byte lane 1 */
    uint32_t v;
    sim_bus_read(&t, SRAM, 4, &v, SIM_MASTER_DEBUG);
    CHECK_EQ(v, 0x0000AB00);
    CHECK_EQ(ap_w(&t, 0, 0x23000011), OK); /* 16-bit */
    CHECK_EQ(ap_w(&t, 4, SRAM + 2), OK);
    CHECK_EQ(ap_r(&t, 0xC), 0); /* lanes 2-3 */
    CHECK_EQ(ap_w(&t, 4, SRAM), OK);
    CHECK_EQ(ap_r(&t, 0xC), 0xAB00);
    CHECK_EQ(ap_w(&t, 0, 0x23000020), OK); /* 8-bit, packed */
    CHECK_EQ(ap_w(&t, 4, SRAM + 0x10), OK);
    CHECK_EQ(ap_w(&t, 0xC, 0x44332211), OK);
    sim_bus_read(&t, SRAM + 0x10, 4, &v, SIM_MASTER_DEBUG);
    CHECK_EQ(v, 0x44332211);
    CHECK_EQ(ap_r(&t, 4), SRAM + 0x14);
    CHECK_EQ(ap_w(&t, 0, 0x23000012), OK);
    CHECK_EQ(ap_w(&t, 4, SRAM + 0x10), OK);
    CHECK_EQ(dp_w(&t, 8, 0x10), OK); /* APBANKSEL 1: BD0-BD3 */
    CHECK_EQ(ap_r(&t, 0x0), 0x44332211);
    CHECK_EQ(ap_w(&t, 0x8, 0xCAFE), OK); /* BD2 = TAR + 8, no increment */
    sim_bus_read(&t, SRAM + 0x18, 4, &v, SIM_MASTER_DEBUG);
    CHECK_EQ(v, 0xCAFE);
    CHECK_EQ(dp_w(&t, 8, 0), OK);
    CHECK_EQ(ap_r(&t, 4), SRAM + 0x10);
    sim_target_free(&t);
}

static void test_bus_fault_is_sticky_until_abort(void)
{
    sim_target t;
    connect(&t, "stm32f103");
    CHECK_EQ(ap_w(&t, 0, 0x23000012), OK);
    CHECK_EQ(ap_w(&t, 4, 0x60000000), OK); /* nothing there */
    uint32_t v = 0;
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0xC, &v), OK); /* posted: the error shows next */
    CHECK_EQ(sim_dp_transfer(&t, false, true, 0xC, &v), FAULT);
    CHECK(dp_r(&t, 4) & (1u << 5));
    CHECK_EQ(ap_w(&t, 4, SRAM), FAULT);
    CHECK_EQ(dp_w(&t, 8, 0), FAULT); /* SELECT too */
    CHECK_EQ(dp_w(&t, 0, 1u << 2), OK); /* STKERRCLR */
    CHECK_EQ(ap_w(&t, 4, SRAM), OK);
    CHECK_EQ(ap_r(&t, 0xC), 0);
    sim_target_free(&t);
}

static void test_injected_faults(void)
{
    sim_target t;
    connect(&t, "stm32f407");
    uint32_t v = 0;
    sim_fault_inject(&t, SIM_FAULT_WAIT, 5);
    for (int i = 0; i < 5; i++) CHECK_EQ(sim_dp_transfer(&t, true, true, 0x0, &v), WAIT);
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0x0, &v), OK);
    /* with overrun detection a WAIT sets STICKYORUN */
    CHECK_EQ(dp_w(&t, 4, 0x50000001), OK);
    sim_fault_inject(&t, SIM_FAULT_WAIT, 1);
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0x0, &v), WAIT);
    CHECK(dp_r(&t, 4) & (1u << 1));
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0x0, &v), FAULT);
    CHECK_EQ(dp_w(&t, 0, 1u << 4), OK); /* ORUNERRCLR */
    CHECK_EQ(dp_w(&t, 4, 0x50000000), OK);
    sim_fault_inject(&t, SIM_FAULT_FAULT, 1);
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0x0, &v), FAULT);
    CHECK(dp_r(&t, 4) & (1u << 5));
    CHECK_EQ(dp_w(&t, 0, 0x1E), OK);
    sim_fault_inject(&t, SIM_FAULT_NO_ACK, 3);
    for (int i = 0; i < 3; i++) CHECK_EQ(sim_dp_transfer(&t, false, true, 0, &v), NONE);
    CHECK_EQ(sim_dp_transfer(&t, false, true, 0, &v), OK);
    sim_fault_inject(&t, SIM_FAULT_STICKY_ORUN, 0);
    CHECK(dp_r(&t, 4) & (1u << 1));
    sim_target_free(&t);
}

static void test_h7_access_ports(void)
{
    sim_target t;
    connect(&t, "stm32h743");
    CHECK_EQ(dp_w(&t, 8, (2u << 24) | 0xF0), OK);
    CHECK_EQ(ap_r(&t, 0xC), 0x54770002); /* AP2 IDR: APB-AP */
    CHECK_EQ(dp_w(&t, 8, 2u << 24), OK);
    CHECK_EQ(ap_w(&t, 0, 0x80000002), OK);
    CHECK_EQ(ap_w(&t, 4, 0xE00E1000), OK);
    CHECK_EQ(ap_r(&t, 0xC) & 0xFFF, 0x450); /* DBGMCU on the debug bus */
    CHECK_EQ(ap_w(&t, 4, 0x24000000), OK);
    uint32_t v;
    CHECK_EQ(sim_dp_transfer(&t, true, true, 0xC, &v), OK);
    CHECK_EQ(sim_dp_transfer(&t, false, true, 0xC, &v), FAULT); /* AXI SRAM is not on it */
    CHECK_EQ(dp_w(&t, 0, 0x1E), OK);
    CHECK_EQ(dp_w(&t, 8, (5u << 24) | 0xF0), OK); /* no AP 5: IDR reads 0, no fault */
    CHECK_EQ(ap_r(&t, 0xC), 0);
    CHECK_EQ(dp_w(&t, 8, 2), OK); /* DPBANKSEL 2: TARGETID */
    CHECK_EQ(dp_r(&t, 4), 0x04500041);
    sim_target_free(&t);
}

static void test_targetsel_multidrop(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32h743"), SIM_OK);
    jtag_to_swd(&t);
    uint32_t sel = 0x04500041, v = 0;
    /* TARGETSEL is never acknowledged: the host clocks the ACK cycles and sends the data */
    sim_wire_out(&t, 0x99, 8); /* DP write 0xC: start, A2 A3, parity 0, park */
    sim_wire_in(&t, 5);
    sim_wire_out(&t, sel, 32);
    sim_wire_out(&t, parity(sel), 1);
    sim_wire_out(&t, 0, 2);
    CHECK_EQ(read_dpidr(&t), 0x6BA02477);
    line_reset(&t);
    sel = 0x14500041; /* TINSTANCE 1: another target */
    sim_wire_out(&t, 0x99, 8);
    sim_wire_in(&t, 5);
    sim_wire_out(&t, sel, 32);
    sim_wire_out(&t, parity(sel), 1);
    sim_wire_out(&t, 0, 2);
    CHECK_EQ(xfer(&t, false, true, 0, &v), NONE);
    line_reset(&t);
    CHECK_EQ(read_dpidr(&t), 0x6BA02477);
    sim_target_free(&t);
}

static void test_target_reset_mid_session(void)
{
    sim_target t;
    connect(&t, "stm32f407");
    CHECK_EQ(ap_w(&t, 0, 0x23000012), OK);
    CHECK_EQ(ap_w(&t, 4, 0xE000EDF0), OK);
    ap_r(&t, 0xC); /* read DHCSR once: clears S_RESET_ST */
    sim_target_reset(&t, SIM_RESET_SYSTEM); /* a reset in the middle of the session */
    /* the debug port is in the debug domain: no line reset needed, the AP state is kept */
    CHECK_EQ(ap_r(&t, 4), 0xE000EDF4); /* TAR auto-incremented once, kept across the reset */
    CHECK_EQ(ap_w(&t, 4, 0xE000EDF0), OK);
    CHECK(ap_r(&t, 0xC) & (1u << 25)); /* S_RESET_ST */
    sim_target_free(&t);
}

static void test_transfer_time(void)
{
    sim_target t;
    connect(&t, "stm32f103");
    sim_dp_set_swd_hz(&t, 10000000);
    uint64_t before = t.now_ps;
    for (int i = 0; i < 100; i++) dp_r(&t, 0);
    CHECK_EQ((t.now_ps - before) / 100, 46ull * 100000); /* 46 cycles of 100 ns */
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_connect_each_profile_on_the_wire);
    RUN(test_dormant_state_on_dpv2);
    RUN(test_protocol_errors_get_no_response);
    RUN(test_write_data_parity_error);
    RUN(test_turnaround_length);
    RUN(test_power_up_handshake);
    RUN(test_posted_reads_and_ap_identity);
    RUN(test_tar_increment_wraps_in_its_block);
    RUN(test_byte_lanes_packed_and_banked);
    RUN(test_bus_fault_is_sticky_until_abort);
    RUN(test_injected_faults);
    RUN(test_h7_access_ports);
    RUN(test_targetsel_multidrop);
    RUN(test_target_reset_mid_session);
    RUN(test_transfer_time);
    return CHECK_SUMMARY();
}
