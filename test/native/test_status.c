/* The core's status type (common/status.h): every status has its name and a message, the
 * values are distinct, success is 0 and the errors negative; a value that is no status has
 * neither (the addon then reports EINTERNAL). */
#include "check.h"
#include "common/status.h"

#define AS_ENTRY(name, value, message) {name, #name},
static const struct {
    bmp_status status;
    const char *name;
} statuses[] = {BMP_STATUS_LIST(AS_ENTRY)};

static void test_names_and_messages(void)
{
    unsigned n = sizeof statuses / sizeof statuses[0];
    CHECK(n > 20);
    for (unsigned i = 0; i < n; i++) {
        const char *name = bmp_status_name(statuses[i].status), *message = bmp_status_message(statuses[i].status);
        CHECK(name && strcmp(name, statuses[i].name) == 0);
        CHECK(message && message[0] != 0);
        CHECK(i == 0 ? statuses[i].status == BMP_OK : statuses[i].status < 0);
        for (unsigned k = 0; k < i; k++) CHECK(statuses[k].status != statuses[i].status);
    }
    CHECK_EQ(BMP_OK, 0);
    CHECK(strcmp(bmp_status_message(BMP_ERR_FLASH_LOCKED), "the flash controller stays locked (a wrong key locks it until reset)") == 0);
}

static void test_unknown(void)
{
    CHECK(bmp_status_name((bmp_status)-1000) == NULL);
    CHECK(bmp_status_message((bmp_status)-1000) == NULL);
    CHECK(bmp_status_message((bmp_status)1) == NULL);
}

int main(void)
{
    RUN(test_names_and_messages);
    RUN(test_unknown);
    return CHECK_SUMMARY();
}
