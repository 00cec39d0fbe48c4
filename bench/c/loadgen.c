/*
 * Modbus/TCP load generator for bench/modbus.mjs, built on libmodbus.
 *
 *   loadgen -p PORT [-h HOST] [-c CONNECTIONS] [-w WARMUP_S] (-d SECONDS | -n REQUESTS)
 *
 * Each connection has its own thread and libmodbus context and keeps exactly one request
 * outstanding: FC3 read holding registers, 10 registers at address 0, unit id 1, back-to-back.
 * So the figures measure the server's turnaround, not how well it pipelines.
 *
 *   connect all ──► warm-up (-w, not counted) ──► measure (-d seconds, or -n requests in all)
 *
 * Prints one JSON line on stdout:
 *   {"connections":N,"requests":R,"seconds":S,"rps":X,"p50_us":..,"p99_us":..,"errors":E}
 * A request counts in the figures when it started inside the measured window. An error is any
 * read that did not return the 10 registers: a Modbus exception, a malformed or mismatched
 * reply (libmodbus checks transaction id, function code and byte count), a timeout or a
 * dropped link. After anything but an exception the connection is reopened, because a late
 * reply would otherwise be taken for the answer to the next request.
 * Exit status: 0 when it ran (even with errors), 1 on bad usage, 2 when it could not connect.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <modbus.h>

#define NB_REGS 10
#define START_ADDR 0
#define UNIT_ID 1

enum phase { WARMUP, MEASURE, DONE };

static _Atomic int phase = WARMUP;
/* -n mode: requests still to hand out in the measured window; -1 in -d mode. */
static _Atomic long budget = -1;

struct conn {
    pthread_t thread;
    const char *host;
    int port;
    int connect_failed;
    uint64_t *lat_ns; /* latencies of the measured requests */
    size_t n, cap;
    long errors;
};

static pthread_barrier_t connected;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static void record(struct conn *c, uint64_t ns)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 65536;
        c->lat_ns = realloc(c->lat_ns, c->cap * sizeof *c->lat_ns);
        if (c->lat_ns == NULL) {
            fprintf(stderr, "loadgen: out of memory\n");
            exit(1);
        }
    }
    c->lat_ns[c->n++] = ns;
}

/* libmodbus reports a Modbus exception response as errno MODBUS_ENOBASE + exception code. */
static int is_exception(int err)
{
    return err > MODBUS_ENOBASE && err <= MODBUS_ENOBASE + MODBUS_EXCEPTION_GATEWAY_TARGET;
}

static modbus_t *open_link(struct conn *c)
{
    modbus_t *ctx = modbus_new_tcp(c->host, c->port);
    if (ctx == NULL)
        return NULL;
    modbus_set_slave(ctx, UNIT_ID);
    /* Long enough that a GC pause in a slow server is latency, not an error. */
    modbus_set_response_timeout(ctx, 2, 0);
    if (modbus_connect(ctx) == -1) {
        modbus_free(ctx);
        return NULL;
    }
    return ctx;
}

static void *run(void *arg)
{
    struct conn *c = arg;
    uint16_t regs[NB_REGS];
    modbus_t *ctx = open_link(c);
    if (ctx == NULL) {
        fprintf(stderr, "loadgen: connect %s:%d: %s\n", c->host, c->port, modbus_strerror(errno));
        c->connect_failed = 1;
    }
    pthread_barrier_wait(&connected);
    if (ctx == NULL)
        return NULL;

    int p;
    while ((p = atomic_load(&phase)) != DONE) {
        int measured = p == MEASURE;
        if (measured && atomic_load(&budget) >= 0 && atomic_fetch_sub(&budget, 1) <= 0)
            break;
        uint64_t t0 = now_ns();
        int rc = modbus_read_registers(ctx, START_ADDR, NB_REGS, regs);
        uint64_t t1 = now_ns();
        if (rc == NB_REGS) {
            if (measured)
                record(c, t1 - t0);
            continue;
        }
        int err = errno;
        if (measured)
            c->errors++;
        if (is_exception(err))
            continue;
        modbus_close(ctx);
        modbus_free(ctx);
        /* Retry until the run ends, or for 2 s: a server that is gone costs errors, not a hang. */
        for (int tries = 0; (ctx = open_link(c)) == NULL && tries < 200 && atomic_load(&phase) != DONE; tries++) {
            if (atomic_load(&phase) == MEASURE)
                c->errors++;
            sleep_s(0.01);
        }
        if (ctx == NULL)
            return NULL;
    }
    modbus_close(ctx);
    modbus_free(ctx);
    return NULL;
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
    fprintf(stderr, "usage: loadgen -p PORT [-h HOST] [-c CONNECTIONS] [-w WARMUP_S] (-d SECONDS | -n REQUESTS)\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 0, nconn = 1, opt;
    double warmup = 0.5, duration = 3.0;
    long requests = -1;

    while ((opt = getopt(argc, argv, "h:p:c:w:d:n:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': nconn = atoi(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'n': requests = atol(optarg); break;
        default: usage();
        }
    }
    if (port <= 0 || port > 65535 || nconn < 1 || warmup < 0 || duration <= 0 || requests == 0)
        usage();

    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    pthread_barrier_init(&connected, NULL, (unsigned)nconn + 1);
    for (int i = 0; i < nconn; i++) {
        conns[i].host = host;
        conns[i].port = port;
        if (pthread_create(&conns[i].thread, NULL, run, &conns[i]) != 0) {
            fprintf(stderr, "loadgen: cannot start thread %d\n", i);
            return 1;
        }
    }
    pthread_barrier_wait(&connected);
    int failed = 0;
    for (int i = 0; i < nconn; i++)
        failed |= conns[i].connect_failed;
    if (failed) {
        atomic_store(&phase, DONE);
        for (int i = 0; i < nconn; i++)
            pthread_join(conns[i].thread, NULL);
        return 2;
    }

    sleep_s(warmup);
    atomic_store(&budget, requests);
    uint64_t start = now_ns();
    atomic_store(&phase, MEASURE);
    if (requests < 0) {
        sleep_s(duration);
        atomic_store(&phase, DONE);
    }
    for (int i = 0; i < nconn; i++)
        pthread_join(conns[i].thread, NULL);
    /* In -d mode this includes the last in-flight replies: at most one round trip over. */
    double seconds = (double)(now_ns() - start) / 1e9;

    size_t total = 0;
    long errors = 0;
    for (int i = 0; i < nconn; i++) {
        total += conns[i].n;
        errors += conns[i].errors;
    }
    uint64_t *all = malloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < nconn; i++) {
        memcpy(all + k, conns[i].lat_ns, conns[i].n * sizeof *all);
        k += conns[i].n;
        free(conns[i].lat_ns);
    }
    qsort(all, total, sizeof *all, cmp_u64);

    printf("{\"connections\":%d,\"requests\":%zu,\"seconds\":%.3f,\"rps\":%.1f,", nconn, total, seconds,
           (double)total / seconds);
    if (total)
        printf("\"p50_us\":%.1f,\"p99_us\":%.1f,", pct_us(all, total, 0.50), pct_us(all, total, 0.99));
    else
        printf("\"p50_us\":null,\"p99_us\":null,");
    printf("\"errors\":%ld}\n", errors);
    free(all);
    free(conns);
    return 0;
}
