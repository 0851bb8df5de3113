/* Both links (swd_link on the simulated wire; cmsis_dap_link through the CMSIS-DAP engine in
 * process) and the ADIv5 layer: connect, memory of random lengths and alignments across TAR
 * boundaries (with the simulator set to the 1 KiB minimum), and recovery from faults, WAIT
 * storms and a target that goes away. Every test runs over each link. */
#include <stdlib.h>

#include "check.h"
#include "dap/dap.h"
#include "link/cmsis_dap_link.h"
#include "link/swd_link.h"
#include "sim_swd_phy.h"
#include "sim_target.h"
#include "sim_usb_probe.h"
#include "adiv5/adiv5.h"

static sim_target t;
static swd_phy phy;
static swd_link swd;
static dap_engine engine;
static cmsis_dap_link dap;
static adiv5_dp dp;
static sim_usb_probe usb;
static enum { OVER_SWD, OVER_DAP, OVER_USB } link_kind; /* which link the tests run over */
static dp_link *link_in_use;

/* The in-process transport: a packet straight into the engine. */
static const dap_transport transport = {.ctx = &engine, .exchange = dap_exchange};

static bool open_target(const char *profile)
{
    static const dap_strings strings = {.product = "test CMSIS-DAP"};
    if (sim_target_init(&t, profile) != SIM_OK) return false;
    sim_swd_phy_init(&phy, &t);
    if (link_kind == OVER_DAP) {
        dap_init(&engine, &phy, &strings, 512, 4);
        if (cmsis_dap_link_init(&dap, &transport) != BMP_OK) return false;
        link_in_use = &dap.link;
    } else if (link_kind == OVER_USB) { /* pipelined: packets in flight through the USB model */
        sim_usb_probe_init(&usb, &t, SIM_USB_FULL_SPEED_HID);
        if (cmsis_dap_link_init(&dap, &usb.transport) != BMP_OK) return false;
        link_in_use = &dap.link;
    } else {
        swd_link_init(&swd, &phy);
        link_in_use = &swd.link;
    }
    dp = (adiv5_dp){0};
    return adiv5_connect(&dp, link_in_use, t.profile->dp_version >= 2) == BMP_OK;
}

static void test_connect_each_profile(void)
{
    static const char *const profiles[] = {"stm32f103", "stm32f407", "stm32h743"};
    for (unsigned i = 0; i < 3; i++) {
        CHECK(open_target(profiles[i]));
        CHECK_EQ(dp.dpidr, t.profile->dpidr);
        uint32_t idr = 0;
        CHECK_EQ(adiv5_ap_read(&dp, 0, 0xFC, &idr), BMP_OK);
        CHECK_EQ(idr, t.profile->aps[0].idr);
        uint32_t cpuid = 0;
        CHECK_EQ(adiv5_mem_read(&dp, 0, 0xE000ED00, (uint8_t *)&cpuid, 4), BMP_OK);
        CHECK_EQ(cpuid, t.profile->cpuid);
        sim_target_free(&t);
    }
}

/* SWD multidrop (ADIv5.2 B4.3.4): with link->targetsel, connect selects the DP by TARGETSEL
 * after the line reset. The H743's DPv2 answers its own TARGETID (instance 0) and stays silent
 * for another instance, until a connect with the right one. */
static void test_multidrop_targetsel(void)
{
    CHECK(open_target("stm32h743"));
    link_in_use->targetsel = 0x04500041u; /* TARGETID: TPARTNO 0x450, TDESIGNER ST, instance 0 */
    dp = (adiv5_dp){0};
    CHECK_EQ(adiv5_connect(&dp, link_in_use, true), BMP_OK);
    CHECK_EQ(dp.dpidr, t.profile->dpidr);
    uint32_t idr = 0;
    CHECK_EQ(adiv5_ap_read(&dp, 0, 0xFC, &idr), BMP_OK);
    CHECK_EQ(idr, t.profile->aps[0].idr);
    link_in_use->targetsel = 0x14500041u; /* instance 1: nobody */
    dp = (adiv5_dp){0};
    CHECK(adiv5_connect(&dp, link_in_use, true) != BMP_OK);
    CHECK(t.dp.deselected);
    link_in_use->targetsel = 0x04500042u; /* another part: nobody */
    dp = (adiv5_dp){0};
    CHECK(adiv5_connect(&dp, link_in_use, true) != BMP_OK);
    link_in_use->targetsel = 0x04500041u;
    dp = (adiv5_dp){0};
    CHECK_EQ(adiv5_connect(&dp, link_in_use, true), BMP_OK);
    CHECK(!t.dp.deselected);
    link_in_use->targetsel = 0;
    sim_target_free(&t);
}

static void test_random_round_trips_across_1k(void)
{
    CHECK(open_target("stm32f407"));
    CHECK(sim_dp_set_tar_wrap(&t, 1024)); /* the architectural minimum: no reliance on more */
    srand(1234);
    static uint8_t out[8192], in[8192], back[8192];
    bool all_ok = true;
    for (int round = 0; round < 40 && all_ok; round++) {
        size_t length = 1 + (size_t)rand() % 8192;
        uint32_t addr = 0x20000000u + (uint32_t)(rand() % (0x1E000));
        for (size_t i = 0; i < length; i++) out[i] = (uint8_t)rand();
        CHECK_EQ(adiv5_mem_write(&dp, 0, addr, out, length), BMP_OK);
        sim_target_peek(&t, addr, back, length);
        CHECK_EQ(adiv5_mem_read(&dp, 0, addr, in, length), BMP_OK);
        all_ok = memcmp(out, back, length) == 0 && memcmp(out, in, length) == 0;
        if (!all_ok) fprintf(stderr, "  round %d: %zu bytes at 0x%08x differ\n", round, length, addr);
    }
    CHECK(all_ok);
    sim_target_free(&t);
}

static void test_fault_recovery(void)
{
    CHECK(open_target("stm32f103"));
    uint8_t buf[16];
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x60000000, buf, 16), BMP_ERR_FAULT);
    /* the sticky error was cleared: the session goes on */
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x20000000, (const uint8_t *)"hello, target!!", 16), BMP_OK);
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x20000000, buf, 16), BMP_OK);
    CHECK(memcmp(buf, "hello, target!!", 16) == 0);
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x60000000, buf, 8), BMP_ERR_FAULT);
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x20000000, buf, 4), BMP_OK);
    /* a WAIT storm shorter than the retries is absorbed; a longer one is reported */
    sim_fault_inject(&t, SIM_FAULT_WAIT, 50);
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x20000000, buf, 16), BMP_OK);
    sim_fault_inject(&t, SIM_FAULT_WAIT, 1000);
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x20000000, buf, 16), BMP_ERR_WAIT);
    sim_fault_inject(&t, SIM_FAULT_CLEAR, 0);
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x20000000, buf, 16), BMP_OK);
    sim_target_free(&t);
}

static void test_target_goes_away_and_comes_back(void)
{
    CHECK(open_target("stm32h743"));
    uint8_t buf[8];
    sim_fault_inject(&t, SIM_FAULT_NO_ACK, 0);
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x24000000, buf, 8), BMP_ERR_NO_RESPONSE);
    sim_fault_inject(&t, SIM_FAULT_CLEAR, 0);
    CHECK_EQ(adiv5_connect(&dp, link_in_use, true), BMP_OK); /* reconnect */
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x24000000, buf, 8), BMP_OK);
    sim_target_free(&t);
}

/* Halfword accesses at halfword-aligned edges: the F1 flash takes nothing else. */
static void test_edges_use_halfwords(void)
{
    CHECK(open_target("stm32f103"));
    const uint8_t keys[8] = {0x23, 0x01, 0x67, 0x45, 0xAB, 0x89, 0xEF, 0xCD};
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x40022004, keys, 4), BMP_OK);     /* KEYR, KEY1 */
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x40022004, keys + 4, 4), BMP_OK); /* KEY2 */
    const uint8_t pg[4] = {1, 0, 0, 0};
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x40022010, pg, 4), BMP_OK);       /* CR.PG */
    const uint8_t half[2] = {0x34, 0x12};
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x08000002, half, 2), BMP_OK);     /* one half-word */
    uint8_t back[2] = {0};
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x08000002, back, 2), BMP_OK);
    CHECK_EQ(back[0] | back[1] << 8, 0x1234);
    CHECK_EQ(adiv5_mem_write(&dp, 0, 0x08000005, half, 1), BMP_ERR_FAULT);  /* a byte: refused */
    sim_target_free(&t);
}

static void test_dap_link_packs_transfers(void)
{
    link_kind = OVER_DAP;
    CHECK(open_target("stm32f407"));
    CHECK_EQ(dap.packet_size, 512);
    static uint8_t buf[8192];
    uint32_t before = dap.packets;
    CHECK_EQ(adiv5_mem_read(&dp, 0, 0x20000000, buf, sizeof buf), BMP_OK);
    /* 8 KiB in 1 KiB blocks of 127-word packets, the TAR write riding in the first: 3 per block */
    CHECK(dap.packets - before <= 8 * 3);
    sim_target_free(&t);
    link_kind = OVER_SWD;
}

int main(void)
{
    static const char *const names[] = {"swd_link", "cmsis_dap_link", "cmsis_dap_link, pipelined over the USB model"};
    for (int i = 0; i < 3; i++) {
        link_kind = i;
        printf("over %s\n", names[i]);
        RUN(test_connect_each_profile);
        RUN(test_random_round_trips_across_1k);
        RUN(test_fault_recovery);
        RUN(test_target_goes_away_and_comes_back);
        RUN(test_edges_use_halfwords);
        RUN(test_multidrop_targetsel);
    }
    RUN(test_dap_link_packs_transfers);
    return CHECK_SUMMARY();
}
