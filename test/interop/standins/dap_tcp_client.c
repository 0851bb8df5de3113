#include "dap_tcp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SIGNATURE 0x00504144u

int dap_tcp_connect(void)
{
    const char *env = getenv("BMP_DAP_PORT");
    int port = env ? atoi(env) : 4441;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int dap_tcp_send(int fd, const uint8_t *payload, size_t length)
{
    uint8_t header[8] = {0x44, 0x41, 0x50, 0x00, (uint8_t)length, (uint8_t)(length >> 8), 1, 0};
    if (length == 0 || length > 0xFFFF) return -1;
    return write_all(fd, header, sizeof header) == 0 && write_all(fd, payload, length) == 0 ? 0 : -1;
}

/* Reads exactly n bytes, waiting at most timeout_ms for the first one. */
static int read_exact(int fd, uint8_t *p, size_t n, int timeout_ms)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, got ? 5000 : timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) return got ? -1 : 0;
        if (ready < 0) return -1;
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 1;
}

int dap_tcp_receive(int fd, uint8_t *out, size_t cap, int timeout_ms)
{
    uint8_t header[8];
    int r = read_exact(fd, header, sizeof header, timeout_ms);
    if (r <= 0) return r;
    uint32_t signature = header[0] | header[1] << 8 | header[2] << 16 | (uint32_t)header[3] << 24;
    size_t length = header[4] | header[5] << 8;
    if (signature != SIGNATURE || header[6] != 2 || length == 0) return -1;
    uint8_t buffer[65536];
    if (read_exact(fd, buffer, length, 5000) <= 0) return -1;
    size_t n = length < cap ? length : cap;
    memcpy(out, buffer, n);
    return (int)n;
}
