/*
 * Reference Modbus RTU master for bench/serial.mjs, built on libmodbus.
 *
 *   rtu-master PATH BAUD SECONDS      e.g. rtu-master /tmp/x/a 115200 3
 *
 * Opens the serial port PATH at BAUD, 8N1, and for SECONDS polls slave 1 back to back: FC3 read
 * holding registers, 10 registers at address 0, the next request sent as soon as the previous
 * reply is in (or has failed). Response timeout 1 s, libmodbus's default byte timeout.
 * bench/lib/rtu-master-loop.mjs does exactly the same with iothinx-sim's RtuMaster, so the two
 * are measured alike.
 *
 * Prints one JSON line on stdout:
 *   {"polls": N, "seconds": S, "pollsPerSecond": X, "errors": E}
 * polls: transactions that returned the 10 registers; errors: every other transaction (timeout,
 * bad CRC, exception reply). After an error the input is flushed so the next poll starts clean.
 * seconds: from the first request to the end of the last transaction.
 * Exit status: 0 when it ran (even with errors), 1 on bad usage, 2 when the port did not open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <modbus.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: rtu-master PATH BAUD SECONDS\n");
        return 1;
    }
    const char *path = argv[1];
    int baud = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (baud <= 0 || seconds <= 0) {
        fprintf(stderr, "rtu-master: BAUD and SECONDS must be positive\n");
        return 1;
    }

    modbus_t *ctx = modbus_new_rtu(path, baud, 'N', 8, 1);
    if (ctx == NULL) {
        fprintf(stderr, "rtu-master: cannot allocate libmodbus context\n");
        return 1;
    }
    modbus_set_slave(ctx, 1);
    modbus_set_response_timeout(ctx, 1, 0);
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "rtu-master: open %s: %s\n", path, modbus_strerror(errno));
        modbus_free(ctx);
        return 2;
    }
    /* Whatever an earlier user of the port left in its buffers is not ours to read. */
    modbus_flush(ctx);

    uint16_t regs[10];
    long polls = 0, errors = 0;
    double start = now(), end = start, last_error_report = 0;
    while ((end = now()) - start < seconds) {
        int rc = modbus_read_registers(ctx, 0, 10, regs);
        if (rc == 10) {
            polls++;
        } else {
            errors++;
            /* Say why now and then, not once per poll. */
            if (end - last_error_report >= 1.0) {
                fprintf(stderr, "rtu-master: poll failed: %s\n", rc == -1 ? modbus_strerror(errno) : "short reply");
                last_error_report = end;
            }
            modbus_flush(ctx);
        }
    }
    end = now();
    double elapsed = end - start;
    printf("{\"polls\": %ld, \"seconds\": %.3f, \"pollsPerSecond\": %.1f, \"errors\": %ld}\n", polls, elapsed,
           elapsed > 0 ? polls / elapsed : 0.0, errors);
    fflush(stdout);

    modbus_close(ctx);
    modbus_free(ctx);
    return 0;
}
