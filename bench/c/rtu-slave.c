/*
 * Reference Modbus RTU slave for bench/serial.mjs (and a handy peer for interop checks), built
 * on libmodbus.
 *
 *   rtu-slave PATH BAUD SLAVE_ID      e.g. rtu-slave /tmp/x/b 115200 1
 *
 * Opens the serial port PATH (a real port or one end of a socat pty pair) at BAUD, 8N1, and
 * answers requests for SLAVE_ID (requests for other ids are ignored, as on a shared RS-485 bus;
 * broadcasts to id 0 are executed without a reply, as libmodbus does). Serves 1000 coils,
 * discrete inputs, holding registers and input registers from address 0; holding and input
 * register i hold the value i, bits are 0.
 *
 * Prints "READY" on stdout once the port is open, and exits 0 on SIGTERM or SIGINT.
 *
 * Keeps serving whatever the line does: a bad CRC, a truncated frame, garbage or a master that
 * goes away mid-request all end in a failed modbus_receive(); the input is then flushed, so the
 * next frame starts clean, and the loop goes on. When the port itself fails (EOF or EIO: the pty
 * peer, e.g. socat, is gone) the port is reopened, with a short pause so that a dead peer does
 * not turn the loop into a busy spin.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <modbus.h>

#define NB_POINTS 1000

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Waits until the port is readable; returns 0 when a signal asked us to stop. */
static int wait_readable(int fd)
{
    while (!stopping) {
        fd_set rset;
        FD_ZERO(&rset);
        FD_SET(fd, &rset);
        int rc = select(fd + 1, &rset, NULL, NULL, NULL);
        if (rc > 0)
            return 1;
        if (rc == -1 && errno != EINTR)
            return 1; /* let modbus_receive() report what is wrong with the fd */
    }
    return 0;
}

static int reopen(modbus_t *ctx, const char *path)
{
    modbus_close(ctx);
    fprintf(stderr, "rtu-slave: %s hung up; reopening it\n", path);
    for (int tries = 0; !stopping; tries++) {
        usleep(100 * 1000);
        if (modbus_connect(ctx) == 0)
            return 0;
        if (tries == 0) /* once, not ten times a second */
            fprintf(stderr, "rtu-slave: reopen %s: %s (retrying every 100 ms)\n", path, modbus_strerror(errno));
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: rtu-slave PATH BAUD SLAVE_ID\n");
        return 1;
    }
    const char *path = argv[1];
    int baud = atoi(argv[2]);
    int slave = atoi(argv[3]);
    if (baud <= 0 || slave < 1 || slave > 247) {
        fprintf(stderr, "rtu-slave: BAUD must be positive and SLAVE_ID 1..247\n");
        return 1;
    }

    /* No SA_RESTART: the signal must interrupt select() so the loop sees `stopping`. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    modbus_t *ctx = modbus_new_rtu(path, baud, 'N', 8, 1);
    modbus_mapping_t *map = modbus_mapping_new(NB_POINTS, NB_POINTS, NB_POINTS, NB_POINTS);
    if (ctx == NULL || map == NULL) {
        fprintf(stderr, "rtu-slave: cannot allocate libmodbus context or mapping\n");
        return 1;
    }
    for (int i = 0; i < NB_POINTS; i++) {
        map->tab_registers[i] = (uint16_t)i;
        map->tab_input_registers[i] = (uint16_t)i;
    }
    if (modbus_set_slave(ctx, slave) == -1) {
        fprintf(stderr, "rtu-slave: slave id %d: %s\n", slave, modbus_strerror(errno));
        return 1;
    }
    if (getenv("RTU_SLAVE_DEBUG"))
        modbus_set_debug(ctx, TRUE);
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "rtu-slave: open %s: %s\n", path, modbus_strerror(errno));
        return 1;
    }
    printf("READY\n");
    fflush(stdout);

    uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
    while (!stopping) {
        if (!wait_readable(modbus_get_socket(ctx)))
            break;
        int rc = modbus_receive(ctx, query);
        if (rc > 0) {
            /* A reply that cannot be written (peer gone) is the next receive's problem. */
            modbus_reply(ctx, query, rc, map);
        } else if (rc == -1) {
            int err = errno;
            if (stopping)
                break;
            if (err == ECONNRESET || err == EIO || err == EBADF) {
                /* read() returned 0 or failed: the port itself is gone or hung up. */
                if (reopen(ctx, path) == -1)
                    break;
            } else {
                /* Bad CRC, garbage, a frame cut short (byte timeout): drop what is left of it. */
                modbus_flush(ctx);
            }
        }
        /* rc == 0: a request for another slave id, ignored. */
    }

    modbus_close(ctx);
    modbus_mapping_free(map);
    modbus_free(ctx);
    return 0;
}
