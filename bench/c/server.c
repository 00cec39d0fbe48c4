/*
 * Reference Modbus/TCP server for bench/modbus.mjs, built on libmodbus.
 *
 *   server [PORT]      (PORT 0 or absent: the kernel picks a free one)
 *
 * Serves 1000 holding registers from address 0 to any number of clients on 127.0.0.1 with the
 * single-threaded select() loop of libmodbus's own tests/bandwidth-server-many-up.c, so the
 * figures compare against libmodbus as its authors intend it to be used.
 *
 * Prints "listening 127.0.0.1:PORT" once bound (the real port, so the caller can ask for 0
 * instead of guessing a free one), and exits 0 on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#define NB_HOLDING_REGISTERS 1000
#define BACKLOG 64

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;

    /* No SA_RESTART: the signal must interrupt select() so the loop sees `stopping`. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* A client that resets mid-reply must not kill the server. */
    signal(SIGPIPE, SIG_IGN);

    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    modbus_mapping_t *map = modbus_mapping_new(0, 0, NB_HOLDING_REGISTERS, 0);
    if (ctx == NULL || map == NULL) {
        fprintf(stderr, "server: cannot allocate libmodbus context or mapping\n");
        return 1;
    }
    /* Non-zero values, so a client that checks payloads sees real data. */
    for (int i = 0; i < NB_HOLDING_REGISTERS; i++)
        map->tab_registers[i] = (uint16_t)i;

    int listener = modbus_tcp_listen(ctx, BACKLOG);
    if (listener == -1) {
        fprintf(stderr, "server: listen on 127.0.0.1:%d: %s\n", port, modbus_strerror(errno));
        return 1;
    }
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    if (getsockname(listener, (struct sockaddr *)&bound, &len) == -1) {
        perror("server: getsockname");
        return 1;
    }
    printf("listening 127.0.0.1:%d\n", ntohs(bound.sin_port));
    fflush(stdout);

    fd_set all;
    FD_ZERO(&all);
    FD_SET(listener, &all);
    int fdmax = listener;
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];

    while (!stopping) {
        fd_set ready = all;
        if (select(fdmax + 1, &ready, NULL, NULL, NULL) == -1) {
            if (errno == EINTR)
                continue;
            perror("server: select");
            break;
        }
        for (int fd = 0; fd <= fdmax; fd++) {
            if (!FD_ISSET(fd, &ready))
                continue;
            if (fd == listener) {
                struct sockaddr_in peer;
                socklen_t plen = sizeof peer;
                int client = accept(listener, (struct sockaddr *)&peer, &plen);
                if (client == -1)
                    continue;
                if (client >= FD_SETSIZE) { /* select() cannot watch it */
                    close(client);
                    continue;
                }
                FD_SET(client, &all);
                if (client > fdmax)
                    fdmax = client;
                continue;
            }
            modbus_set_socket(ctx, fd);
            int rc = modbus_receive(ctx, query);
            if (rc > 0) {
                modbus_reply(ctx, query, rc, map);
            } else if (rc == -1) {
                /* Peer closed or sent garbage: drop the connection, as the libmodbus example does. */
                close(fd);
                FD_CLR(fd, &all);
                if (fd == fdmax)
                    while (fdmax > listener && !FD_ISSET(fdmax, &all))
                        fdmax--;
            }
        }
    }

    for (int fd = 0; fd <= fdmax; fd++)
        if (FD_ISSET(fd, &all))
            close(fd);
    modbus_mapping_free(map);
    modbus_free(ctx);
    return 0;
}
