/* The list of families: the one place that names them all. */
#include "families/family.h"

extern const target_family stm32f0_family, stm32f1_family, stm32f3_family, stm32f4_family, stm32h7_family, stm32g0_family,
    stm32l4_family, stm32g4_family, nrf52_family, rp2040_family;

const target_family *const target_families[] = {
    &stm32f1_family, /* the F1 and the F3 read the DBGMCU at 0xE0042000: each takes its own lines */
    &stm32f3_family,
    &stm32f4_family,
    &stm32h7_family,
    &stm32g0_family, /* the F0 and the G0 read the DBGMCU at 0x40015800 */
    &stm32f0_family,
    &stm32l4_family, /* the L4 and the G4 read the DBGMCU at 0xE0042000 too */
    &stm32g4_family,
    &nrf52_family,
    &rp2040_family,
    0,
};

bool family_identify(probe_session *p, uint8_t apsel, part_info *info)
{
    for (const target_family *const *f = target_families; *f; f++) {
        *info = (part_info){0};
        if ((*f)->identify && (*f)->identify(p, apsel, info)) return true;
    }
    *info = (part_info){0};
    info->name = "unknown";
    return false;
}

const target_family *family_from_aps(const adiv5_ap_info *aps, unsigned count)
{
    for (const target_family *const *f = target_families; *f; f++)
        if ((*f)->recognise_aps && (*f)->recognise_aps(aps, count)) return *f;
    return 0;
}

const target_family *family_from_targetid(uint32_t targetid)
{
    for (const target_family *const *f = target_families; *f; f++)
        if ((*f)->targetsel_count && ((*f)->multidrop_targetid & 0x0FFFFFFFu) == (targetid & 0x0FFFFFFFu)) return *f;
    return 0;
}
