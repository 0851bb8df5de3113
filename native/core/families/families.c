/* The list of families: the one place that names them all. */
#include "families/family.h"

extern const target_family stm32f1_family, stm32f4_family, stm32h7_family, stm32g0_family, stm32l4_family,
    nrf52_family;

const target_family *const target_families[] = {
    &stm32f1_family,
    &stm32f4_family,
    &stm32h7_family,
    &stm32g0_family,
    &stm32l4_family,
    &nrf52_family,
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
