#include "common/status.h"

#define BMP_STATUS_NAME_CASE(name, value, message) \
    case name: return #name;
#define BMP_STATUS_MESSAGE_CASE(name, value, message) \
    case name: return message;

const char *bmp_status_name(bmp_status status)
{
    switch (status) {
    BMP_STATUS_LIST(BMP_STATUS_NAME_CASE)
    default: return 0;
    }
}

const char *bmp_status_message(bmp_status status)
{
    switch (status) {
    BMP_STATUS_LIST(BMP_STATUS_MESSAGE_CASE)
    default: return 0;
    }
}
