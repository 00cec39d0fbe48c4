/*
 * Modbus/TCP load generator for bench/modbus.mjs.
 *
 *   loadgen -p PORT [-h HOST] [-c CONNECTIONS] [-w WARMUP_S] [-d SECONDS | -n REQUESTS]
 *
 * Every connection keeps exactly one request outstanding: FC3 read holding registers, 10
 * registers at address 0, unit id 1, sent again as soon as the reply is in. So the figures
 * measure the server's turnaround, not how well it pipelines.
 *
 *   connect all ──► warm-up (-w s, not counted) ──► measure (-d s, or -n requests in all)
 *                                                   ──► drain the replies still in flight
 *
 * Why raw sockets and one epoll loop, not a libmodbus context per thread: on the 2-core machine
 * the bench runs on, 16 libmodbus client threads (each read is send + 2 x select + 2 x recv,
 * plus a thread wake-up) burned more than one core of CPU and so throttled the server under
 * test: 33k against 64k req/s from the libmodbus server, same machine, same minute. One epoll
 * thread costs one send and one recv per request and never takes more than one core, leaving
 * the other to the server. The reference server (server.c) is still libmodbus.
 *
 * Prints one JSON line on stdout:
 *   {"connections":N,"requests":R,"seconds":S,"rps":X,"p50_us":..,"p99_us":..,"errors":E}
 * A request counts when it started inside the measured window; `seconds` runs from the start of
 * the window to the last counted reply. An error is any request that did not get its 10
 * registers: an exception reply (fc 0x83), a malformed or mismatched reply, no reply in 2 s, a
 * dropped link or a failed reconnect. After anything but an exception the connection is
 * reopened, because the stream can no longer be trusted to be in step.
 * Exit status: 0 when it ran (even with errors), 1 on bad usage, 2 when it could not connect.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NB_REGS 10
#define START_ADDR 0
#define UNIT_ID 1
#define FC_READ_HOLDING 0x03
#define MBAP_LEN 7 /* transaction id, protocol id, length, unit id */
/* MBAP + fc + byte count + registers (Modbus Messaging on TCP/IP V1.0b 3.1.3; MODBUS AP V1.1b3 6.3) */
#define REPLY_LEN (MBAP_LEN + 2 + 2 * NB_REGS)
#define EXCEPTION_LEN (MBAP_LEN + 2)
#define REPLY_TIMEOUT_NS 2000000000ull /* long enough that a GC pause is latency, not an error */
#define RETRY_NS 10000000ull

enum state { IDLE, WAITING, DOWN };

struct conn {
    int fd;
    enum state state;
    uint16_t tid;
    int measured;      /* the outstanding request started inside the window */
    uint64_t sent_at;  /* WAITING: when the request left; DOWN: when to retry */
    uint8_t buf[512];
    size_t have;
};

static struct sockaddr_in server;
static int epfd;
static uint64_t *lat_ns;
static size_t n_lat, cap_lat;
static long errors;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(uint64_t ns)
{
    if (n_lat == cap_lat) {
        cap_lat = cap_lat ? cap_lat * 2 : 65536;
        lat_ns = realloc(lat_ns, cap_lat * sizeof *lat_ns);
        if (lat_ns == NULL) {
            fprintf(stderr, "loadgen: out of memory\n");
            exit(1);
        }
    }
    lat_ns[n_lat++] = ns;
}

static int open_link(struct conn *c)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    /* Connect blocking (loopback answers at once), then go non-blocking for the loop. */
    if (connect(fd, (struct sockaddr *)&server, sizeof server) == -1) {
        close(fd);
        return -1;
    }
    int one = 1;
    /* A 12-byte request must leave now, not wait for Nagle. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = IDLE;
    c->have = 0;
    return 0;
}

static void drop_link(struct conn *c, uint64_t now)
{
    close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->state = DOWN;
    c->sent_at = now + RETRY_NS;
}

/* Counts an error against the outstanding request, if it was a measured one. */
static void fail(struct conn *c, int reconnect, uint64_t now)
{
    if (c->measured)
        errors++;
    c->measured = 0;
    if (reconnect)
        drop_link(c, now);
    else
        c->state = IDLE;
}

static void send_request(struct conn *c, int measured)
{
    c->tid++;
    uint8_t req[MBAP_LEN + 5] = {
        c->tid >> 8, c->tid & 0xff, 0, 0, /* transaction id, protocol id 0 */
        0, 6, UNIT_ID,                     /* length: unit id + 5-byte PDU */
        FC_READ_HOLDING, START_ADDR >> 8, START_ADDR & 0xff, 0, NB_REGS,
    };
    c->measured = measured;
    c->sent_at = now_ns();
    c->state = WAITING;
    c->have = 0;
    if (send(c->fd, req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req)
        fail(c, 1, c->sent_at);
}

/* Reads what arrived; on a complete reply, checks it and records its latency. */
static void on_readable(struct conn *c)
{
    ssize_t r = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
    uint64_t now = now_ns();
    if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
        if (c->state == WAITING)
            fail(c, 1, now);
        else
            drop_link(c, now);
        return;
    }
    if (r < 0)
        return;
    if (c->state != WAITING) { /* bytes nobody asked for: out of step */
        drop_link(c, now);
        return;
    }
    c->have += (size_t)r;
    if (c->have < 6)
        return;
    size_t len = 6 + ((size_t)c->buf[4] << 8 | c->buf[5]);
    if (len < 8 || len > sizeof c->buf) {
        fail(c, 1, now);
        return;
    }
    if (c->have < len)
        return;
    const uint8_t *b = c->buf;
    int in_step = c->have == len && (b[0] << 8 | b[1]) == c->tid && b[2] == 0 && b[3] == 0 && b[6] == UNIT_ID;
    if (in_step && len == REPLY_LEN && b[7] == FC_READ_HOLDING && b[8] == 2 * NB_REGS) {
        if (c->measured)
            record(now - c->sent_at);
        c->state = IDLE;
    } else if (in_step && len == EXCEPTION_LEN && b[7] == (FC_READ_HOLDING | 0x80)) {
        fail(c, 0, now);
    } else {
        fail(c, 1, now);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const uint64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return (double)sorted[rank - 1] / 1000.0;
}

static void usage(void)
{
    fprintf(stderr, "usage: loadgen -p PORT [-h HOST] [-c CONNECTIONS] [-w WARMUP_S] [-d SECONDS | -n REQUESTS]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 0, nconn = 1, opt;
    double warmup = 0.5, duration = 3.0;
    long budget = -1; /* -n: measured requests still to send; -1 in -d mode */

    while ((opt = getopt(argc, argv, "h:p:c:w:d:n:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': nconn = atoi(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'n': budget = atol(optarg); break;
        default: usage();
        }
    }
    if (port <= 0 || port > 65535 || nconn < 1 || nconn > 4096 || warmup < 0 || duration <= 0 || budget == 0)
        usage();
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) {
        fprintf(stderr, "loadgen: -h wants an IPv4 address, got %s\n", host);
        return 1;
    }

    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    for (int i = 0; i < nconn; i++) {
        if (open_link(&conns[i]) == -1) {
            fprintf(stderr, "loadgen: connect %s:%d: %s\n", host, port, strerror(errno));
            return 2;
        }
    }

    uint64_t t = now_ns();
    uint64_t start = t + (uint64_t)(warmup * 1e9);
    uint64_t end = budget < 0 ? start + (uint64_t)(duration * 1e9) : UINT64_MAX;
    uint64_t last_reply = start, last_scan = t;
    int outstanding_measured = 0;
    struct epoll_event events[64];

    for (;;) {
        /* Send on every idle link while the run lasts; a link that is down retries first. */
        int waiting = 0, stopped = t >= end || budget == 0;
        outstanding_measured = 0;
        for (int i = 0; i < nconn; i++) {
            struct conn *c = &conns[i];
            if (c->state == DOWN && !stopped && t >= c->sent_at && open_link(c) == -1) {
                if (t >= start)
                    errors++;
                c->sent_at = t + RETRY_NS;
            }
            if (c->state == IDLE && !stopped) {
                int measured = t >= start;
                send_request(c, measured);
                if (measured && budget > 0)
                    budget--;
                stopped = budget == 0;
            }
            waiting += c->state == WAITING;
            outstanding_measured += c->state == WAITING && c->measured;
        }
        if (stopped && outstanding_measured == 0)
            break;

        int n = epoll_wait(epfd, events, 64, waiting ? 10 : 1);
        t = now_ns();
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            int was_measured = c->measured;
            size_t before = n_lat;
            on_readable(c);
            if (was_measured && n_lat > before)
                last_reply = t;
        }
        /* Timeouts are rare, so look for them every 10 ms, not on every wake-up. */
        if (t - last_scan >= 10000000u) {
            last_scan = t;
            for (int i = 0; i < nconn; i++)
                if (conns[i].state == WAITING && t - conns[i].sent_at >= REPLY_TIMEOUT_NS)
                    fail(&conns[i], 1, t);
        }
    }

    double seconds = (double)((budget < 0 && last_reply < end ? end : last_reply) - start) / 1e9;
    qsort(lat_ns, n_lat, sizeof *lat_ns, cmp_u64);
    printf("{\"connections\":%d,\"requests\":%zu,\"seconds\":%.3f,\"rps\":%.1f,", nconn, n_lat, seconds,
           seconds > 0 ? (double)n_lat / seconds : 0.0);
    if (n_lat)
        printf("\"p50_us\":%.1f,\"p99_us\":%.1f,", pct_us(lat_ns, n_lat, 0.50), pct_us(lat_ns, n_lat, 0.99));
    else
        printf("\"p50_us\":null,\"p99_us\":null,");
    printf("\"errors\":%ld}\n", errors);
    for (int i = 0; i < nconn; i++)
        if (conns[i].state != DOWN)
            close(conns[i].fd);
    free(conns);
    free(lat_ns);
    return 0;
}
