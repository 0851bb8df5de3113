/* The CMSIS-DAP command processor, over the simulated SWD wire (and a recording phy for the
 * sequences), with the specification's corner cases. */
#include "check.h"
#include "dap/dap.h"
#include "sim_swd_phy.h"
#include "sim_target.h"

static sim_target t;
static swd_phy phy;
static dap_engine e;
static const dap_strings strings = {
    .vendor = "bmp-gdbserver", .product = "bmp-gdbserver CMSIS-DAP", .serial = "SIM0001",
    .protocol = "2.1.0", .target_vendor = "STMicroelectronics", .target_name = "STM32F103",
    .firmware = "0.1.0"};

static uint8_t resp[DAP_MAX_PACKET_SIZE];
static size_t resp_len;

static void setup(const char *profile, uint16_t packet_size)
{
    CHECK_EQ(sim_target_init(&t, profile), SIM_OK);
    sim_swd_phy_init(&phy, &t);
    dap_init(&e, &phy, &strings, packet_size, 4);
}

/* Runs one packet that must produce exactly one response; leaves it in resp. */
static void run(const uint8_t *req, size_t len)
{
    CHECK_EQ(dap_process(&e, req, len), 1);
    const uint8_t *r = dap_response(&e, 0, &resp_len);
    memcpy(resp, r, resp_len);
}

#define RUN_PACKET(...)                                   \
    do {                                                  \
        const uint8_t packet_[] = {__VA_ARGS__};          \
        run(packet_, sizeof packet_);                     \
    } while (0)

/* Line reset, JTAG-to-SWD, line reset; DPIDR; power-up; as OpenOCD's cmsis-dap driver does. */
static void connect(void)
{
    RUN_PACKET(0x02, 0x00);
    CHECK_EQ(resp[1], 1);
    RUN_PACKET(0x11, 0x00, 0x09, 0x3D, 0x00); /* 4 MHz */
    RUN_PACKET(0x12, 51, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    RUN_PACKET(0x12, 16, 0x9E, 0xE7);
    RUN_PACKET(0x12, 51, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
    RUN_PACKET(0x12, 8, 0x00);
    RUN_PACKET(0x05, 0, 1, 0x02); /* read DPIDR */
    CHECK_EQ(resp[1], 1);
    CHECK_EQ(resp[2], 1);
    CHECK_EQ(sim_get_le(resp + 3, 4), t.profile->dpidr);
    RUN_PACKET(0x05, 0, 2, 0x00, 0x1E, 0, 0, 0, 0x04, 0, 0, 0, 0x50); /* ABORT, CTRL/STAT */
    CHECK_EQ(resp[2], 1);
    RUN_PACKET(0x09, 100, 0); /* 100 µs */
    RUN_PACKET(0x05, 0, 1, 0x06); /* CTRL/STAT */
    CHECK_EQ(sim_get_le(resp + 3, 4) & 0xA0000000u, 0xA0000000u);
}

static void test_info(void)
{
    setup("stm32f103", 64);
    RUN_PACKET(0x00, 0x02);
    CHECK(strstr((const char *)resp + 2, "CMSIS-DAP") != NULL);
    CHECK_EQ(resp[1], strlen("bmp-gdbserver CMSIS-DAP") + 1);
    RUN_PACKET(0x00, 0xF0);
    CHECK_EQ(resp[1], 1);
    CHECK_EQ(resp[2], 0x11); /* SWD and atomic commands only */
    RUN_PACKET(0x00, 0xFE);
    CHECK_EQ(resp[2], 4);
    RUN_PACKET(0x00, 0xFF);
    CHECK_EQ(resp[2] | resp[3] << 8, 64);
    RUN_PACKET(0x00, 0x07); /* board vendor not set */
    CHECK_EQ(resp[1], 0);
    RUN_PACKET(0x00, 0x42);
    CHECK_EQ(resp_len, 2);
    CHECK_EQ(resp[1], 0);
    RUN_PACKET(0x02, 0x02); /* JTAG: not available */
    CHECK_EQ(resp[1], 0);
    RUN_PACKET(0x14, 0x01, 0x00); /* DAP_JTAG_Sequence */
    CHECK_EQ(resp_len, 1);
    CHECK_EQ(resp[0], 0xFF);
    sim_target_free(&t);
}

static void test_connect_posted_reads_and_blocks(void)
{
    setup("stm32f407", 1024);
    connect();
    /* AP IDR through a posted read, then DRW reads of SRAM */
    RUN_PACKET(0x05, 0, 3, 0x08, 0xF0, 0, 0, 0, 0x0F, 0x08, 0, 0, 0, 0);
    CHECK_EQ(resp[1], 3);
    CHECK_EQ(sim_get_le(resp + 3, 4), 0x24770011);
    /* 256 words written, then read back, by TransferBlock */
    RUN_PACKET(0x05, 0, 2, 0x01, 0x12, 0, 0, 0x23, 0x05, 0, 0, 0, 0x20);
    CHECK_EQ(resp[2], 1);
    static uint8_t block[5 + 4 * 200];
    block[0] = 0x06, block[1] = 0, block[2] = 200, block[3] = 0, block[4] = 0x0D;
    for (unsigned i = 0; i < 200; i++)
        sim_put_le(block + 5 + 4 * i, 4, 0xA5000000u + i);
    run(block, sizeof block);
    CHECK_EQ(resp[1] | resp[2] << 8, 200);
    CHECK_EQ(resp[3], 1);
    RUN_PACKET(0x05, 0, 1, 0x05, 0, 0, 0, 0x20);
    RUN_PACKET(0x06, 0, 200, 0, 0x0F);
    CHECK_EQ(resp[1] | resp[2] << 8, 200);
    CHECK_EQ(resp[3], 1);
    CHECK_EQ(resp_len, 4 + 800);
    bool same = true;
    for (unsigned i = 0; i < 200; i++) same &= sim_get_le(resp + 4 + 4 * i, 4) == 0xA5000000u + i;
    CHECK(same);
    sim_target_free(&t);
}

static void test_wait_retries_exhausted(void)
{
    setup("stm32f103", 64);
    connect();
    RUN_PACKET(0x04, 0, 3, 0, 0, 0); /* 3 WAIT retries */
    sim_fault_inject(&t, SIM_FAULT_WAIT, 10);
    RUN_PACKET(0x05, 0, 1, 0x0F);
    CHECK_EQ(resp[1], 0);
    CHECK_EQ(resp[2], 2); /* WAIT */
    sim_fault_inject(&t, SIM_FAULT_CLEAR, 0);
    RUN_PACKET(0x04, 0, 100, 0, 0, 0);
    sim_fault_inject(&t, SIM_FAULT_WAIT, 10); /* fewer than the retries: succeeds */
    RUN_PACKET(0x05, 0, 1, 0x0F);
    CHECK_EQ(resp[1], 1);
    CHECK_EQ(resp[2], 1);
    sim_target_free(&t);
}

static void test_fault_stops_with_the_right_count(void)
{
    setup("stm32f103", 64);
    connect();
    sim_fault_inject(&t, SIM_FAULT_FAULT, 1);
    /* DPIDR read (ok), AP CSW write (faults), DPIDR read (not reached) */
    RUN_PACKET(0x05, 0, 3, 0x02, 0x01, 0x12, 0, 0, 0x23, 0x02);
    CHECK_EQ(resp[1], 1);
    CHECK_EQ(resp[2], 4);
    CHECK_EQ(resp_len, 3 + 4);
    /* WriteABORT clears the sticky error */
    RUN_PACKET(0x08, 0, 0x1E, 0, 0, 0);
    CHECK_EQ(resp[1], 0);
    RUN_PACKET(0x05, 0, 1, 0x01, 0x12, 0, 0, 0x23);
    CHECK_EQ(resp[2], 1);
    /* a write to a bad address: the write check at the end catches its FAULT */
    RUN_PACKET(0x05, 0, 2, 0x05, 0, 0, 0, 0x60, 0x0D, 1, 2, 3, 4);
    CHECK_EQ(resp[1], 2);
    CHECK_EQ(resp[2], 4);
    sim_target_free(&t);
}

static void test_value_match(void)
{
    setup("stm32f103", 64);
    connect();
    RUN_PACKET(0x04, 0, 100, 0, 5, 0); /* 5 match retries */
    RUN_PACKET(0x05, 0, 1, 0x12, 0x78, 0x56, 0x34, 0x12); /* DPIDR == 0x12345678? never */
    CHECK_EQ(resp[1], 0);
    CHECK_EQ(resp[2], 0x11); /* OK with value mismatch */
    RUN_PACKET(0x05, 0, 1, 0x12, 0x77, 0x14, 0xA0, 0x1B);
    CHECK_EQ(resp[1], 1);
    CHECK_EQ(resp[2], 1);
    /* match mask, then a masked compare on an AP register (CSW DeviceEn) */
    RUN_PACKET(0x05, 0, 2, 0x20, 0x40, 0, 0, 0, 0x13, 0x40, 0, 0, 0);
    CHECK_EQ(resp[1], 2);
    CHECK_EQ(resp[2], 1);
    sim_target_free(&t);
}

/* A phy that counts bits, for the sequence commands. */
static unsigned bits_out, bits_in;
static void count_out(void *ctx, uint32_t bits, unsigned n) { (void)ctx, (void)bits; bits_out += n; }
static uint32_t count_in(void *ctx, unsigned n) { (void)ctx; bits_in += n; return 0x5; }
static void no_delay(void *ctx, uint32_t us) { (void)ctx, (void)us; }

static void test_sequences(void)
{
    swd_phy fake = {.write_bits = count_out, .read_bits = count_in, .delay_us = no_delay};
    dap_init(&e, &fake, &strings, 64, 1);
    uint8_t seq0[2 + 32] = {0x12, 0};
    run(seq0, sizeof seq0);
    CHECK_EQ(bits_out, 256); /* a count of 0 means 256 bits */
    CHECK_EQ(resp[1], 0);
    bits_out = 0;
    RUN_PACKET(0x1D, 2, 0x0A, 0xFF, 0x03, 0x83); /* 10 bits out, 3 bits in */
    CHECK_EQ(bits_out, 10);
    CHECK_EQ(bits_in, 3);
    CHECK_EQ(resp_len, 3);
    CHECK_EQ(resp[2], 0x5);
    RUN_PACKET(0x1D, 1, 0x00); /* 64 bits out, data missing: malformed */
    CHECK_EQ(resp[0], 0xFF);
}

static void test_execute_and_queue(void)
{
    setup("stm32f103", 64);
    RUN_PACKET(0x7F, 2, 0x00, 0xFE, 0x00, 0xFF);
    CHECK_EQ(resp_len, 2 + 3 + 4);
    CHECK_EQ(resp[1], 2);
    CHECK_EQ(resp[4], 4);
    CHECK_EQ(resp[7] | resp[8] << 8, 64);
    const uint8_t q1[] = {0x7E, 1, 0x00, 0xFE};
    const uint8_t q2[] = {0x7E, 2, 0x09, 0x01, 0x00, 0x00, 0xFF};
    CHECK_EQ(dap_process(&e, q1, sizeof q1), 0);
    CHECK_EQ(dap_process(&e, q2, sizeof q2), 0);
    const uint8_t info[] = {0x00, 0xF0};
    CHECK_EQ(dap_process(&e, info, sizeof info), 3);
    size_t n;
    const uint8_t *r = dap_response(&e, 0, &n);
    CHECK_EQ(r[0], 0x7E);
    CHECK_EQ(n, 2 + 3);
    r = dap_response(&e, 1, &n);
    CHECK_EQ(n, 2 + 2 + 4);
    r = dap_response(&e, 2, &n);
    CHECK_EQ(r[0], 0x00);
    CHECK_EQ(r[2], 0x11);
    /* nested Execute is malformed */
    RUN_PACKET(0x7F, 1, 0x7F, 0);
    CHECK_EQ(resp[0], 0xFF);
    sim_target_free(&t);
}

static void test_truncated_and_oversized_requests(void)
{
    setup("stm32f103", 64);
    connect();
    static const uint8_t valid[][16] = {
        {0x00, 0x02}, {0x01, 0, 1}, {0x02, 0}, {0x04, 0, 1, 0, 1, 0}, {0x05, 0, 2, 0x02, 0x01, 1, 2, 3, 4},
        {0x06, 0, 2, 0, 0x0F}, {0x06, 0, 1, 0, 0x0D, 1, 2, 3, 4}, {0x08, 0, 0x1E, 0, 0, 0}, {0x09, 1, 0},
        {0x10, 0x80, 0x80, 0, 0, 0, 0}, {0x11, 0x40, 0x42, 0x0F, 0}, {0x12, 8, 0},
        {0x13, 0}, {0x1D, 1, 0x08, 0}, {0x7F, 1, 0x00, 0xFE}, {0x7E, 1, 0x00, 0xFE}};
    static const size_t lengths[] = {2, 3, 2, 6, 9, 5, 9, 6, 3, 7, 5, 3, 2, 4, 4, 4};
    uint64_t time_before = 0;
    for (unsigned c = 0; c < sizeof lengths / sizeof lengths[0]; c++)
        for (size_t len = 0; len < lengths[c]; len++) {
            time_before = t.now_ps;
            CHECK_EQ(dap_process(&e, valid[c], len), 1);
            size_t n;
            const uint8_t *r = dap_response(&e, 0, &n);
            CHECK_EQ(n, 1);
            CHECK_EQ(r[0], 0xFF);
            CHECK_EQ(t.now_ps, time_before); /* nothing reached the wire */
        }
    /* responses that would not fit a 64-byte packet */
    RUN_PACKET(0x06, 0, 20, 0, 0x0F);
    CHECK_EQ(resp[0], 0xFF);
    uint8_t many[3 + 16] = {0x05, 0, 16};
    memset(many + 3, 0x0F, 16);
    run(many, sizeof many);
    CHECK_EQ(resp[0], 0xFF);
    RUN_PACKET(0x05, 0, 1, 0x82); /* timestamps are not advertised */
    CHECK_EQ(resp[0], 0xFF);
    sim_target_free(&t);
}

static void test_pins_reset_and_clock(void)
{
    setup("stm32f103", 64);
    RUN_PACKET(0x10, 0x00, 0x80, 0, 0, 0, 0); /* nRESET low */
    CHECK(t.nrst_low);
    CHECK_EQ(resp[1] & 0x80, 0);
    RUN_PACKET(0x10, 0x80, 0x80, 0xE8, 0x03, 0, 0); /* release, wait up to 1 ms for it */
    CHECK(!t.nrst_low);
    CHECK(resp[1] & 0x80);
    RUN_PACKET(0x11, 0x80, 0x96, 0x98, 0x00); /* 10 MHz */
    CHECK_EQ(t.dp.swd_hz, 10000000);
    RUN_PACKET(0x11, 0, 0, 0, 0);
    CHECK_EQ(resp[1], 0xFF);
    RUN_PACKET(0x0A);
    CHECK_EQ(resp_len, 3);
    RUN_PACKET(0x13, 0x05); /* turnaround 2, data phase */
    CHECK_EQ(e.swd.turnaround, 2);
    CHECK(e.swd.data_phase);
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_info);
    RUN(test_connect_posted_reads_and_blocks);
    RUN(test_wait_retries_exhausted);
    RUN(test_fault_stops_with_the_right_count);
    RUN(test_value_match);
    RUN(test_sequences);
    RUN(test_execute_and_queue);
    RUN(test_truncated_and_oversized_requests);
    RUN(test_pins_reset_and_clock);
    return CHECK_SUMMARY();
}
