/* A native test's target: a simulated profile running the fixture firmware, reached over
 * swd_link (the simulated wire) or over cmsis_dap_link through the DAP engine in process, with
 * ADIv5 connected and the Cortex-M attached. One per test program (static state). */
#ifndef FIXTURE_TARGET_H
#define FIXTURE_TARGET_H

#include <stdio.h>

#include "dap/dap.h"
#include "elf_load.h"
#include "link/cmsis_dap_link.h"
#include "link/swd_link.h"
#include "sim_swd_phy.h"
#include "sim_target.h"
#include "cortexm/cortexm.h"

static sim_target t;
static swd_phy phy;
static swd_link swd;
static dap_engine engine;
static cmsis_dap_link dap;
static adiv5_dp dp;
static cortexm core;
static elf_image image;

static const dap_transport fixture_transport = {.ctx = &engine, .exchange = dap_exchange};

static bool open_fixture(const char *profile, bool over_dap)
{
    static const dap_strings strings = {.product = "test CMSIS-DAP"};
    char path[512];
    snprintf(path, sizeof path, "%s/test/fixtures/firmware/build/%s.elf", BMP_SOURCE_DIR, profile);
    if (sim_target_init(&t, profile) != SIM_OK || !elf_load_file(path, &image)) return false;
    for (unsigned i = 0; i < image.count; i++)
        sim_target_load(&t, image.segments[i].paddr, image.segments[i].data, image.segments[i].filesz);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    sim_target_advance(&t, 1000000000ull); /* 1 ms: past start-up, the fixture firmware runs */
    sim_swd_phy_init(&phy, &t);
    dp_link *link;
    if (over_dap) {
        dap_init(&engine, &phy, &strings, 512, 4);
        if (cmsis_dap_link_init(&dap, &fixture_transport) != BMP_OK) return false;
        link = &dap.link;
    } else {
        swd_link_init(&swd, &phy);
        link = &swd.link;
    }
    dp = (adiv5_dp){0};
    core = (cortexm){0};
    return adiv5_connect(&dp, link, t.profile->dp_version >= 2) == BMP_OK &&
           cortexm_attach(&core, &dp, 0) == BMP_OK;
}

static void close_fixture(void)
{
    elf_free(&image);
    sim_target_free(&t);
}

#endif
