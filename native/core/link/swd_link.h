/* dp_link over a local SWD wire (swd_phy): the firmware's link, and on the PC the link to the
 * simulated wire. Transfers execute as they are queued; flush reports the first error. */
#ifndef SWD_LINK_H
#define SWD_LINK_H

#include "link/dp_link.h"
#include "swd/swd.h"

typedef struct swd_link {
    dp_link link;              /* first: a swd_link * is a dp_link * */
    const swd_phy *phy;
    swd_config config;
    unsigned wait_retries;
    bmp_status error;      /* the first error since the last flush */
} swd_link;

void swd_link_init(swd_link *l, const swd_phy *phy);

#endif
