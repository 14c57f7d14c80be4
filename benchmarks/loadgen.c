/* Load generator for the echo benchmarks (compiled by run.py with the system cc).
 *
 *   loadgen pingpong HOST PORT CONNS SIZE SECONDS WARMUP
 *       CONNS connections each do strict ping-pong of SIZE-byte messages; every echoed
 *       byte is checked. After WARMUP seconds, counts round trips for SECONDS.
 *   loadgen connrate HOST PORT INFLIGHT SIZE SECONDS WARMUP
 *       INFLIGHT concurrent sequences of: connect, one SIZE-byte exchange, close.
 *   loadgen hold HOST PORT CONNS 0 SECONDS 0
 *       opens CONNS idle connections, prints "held N" and keeps them for SECONDS.
 *
 * Prints one JSON object: round trips (or connections) per second, p50/p99 latency in
 * microseconds, and the number of errors (mismatched bytes, resets, failed connects).
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

#define MAX_US 2000000
static uint32_t *hist;  /* latency histogram, 1 us buckets up to 2 s */

typedef struct {
    int fd;
    size_t sent, received;
    uint32_t seq;
    double started;
    int connecting;
} conn_t;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in target;
static size_t msg_size;
static unsigned char *msg;
static long errors;


static int open_conn(int ep, conn_t *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { errors++; return -1; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
        close(fd); errors++; return -1;
    }
    c->fd = fd; c->sent = c->received = 0; c->connecting = 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static void fill(conn_t *c) {
    for (size_t i = 0; i < msg_size; i++) msg[i] = (unsigned char)(c->seq * 31 + i * 7 + c->fd);
}

/* Send what remains of the current message; returns 0 when all is sent. */
static int pump_send(conn_t *c) {
    fill(c);
    while (c->sent < msg_size) {
        ssize_t n = send(c->fd, msg + c->sent, msg_size - c->sent, MSG_NOSIGNAL);
        if (n < 0) { if (errno == EAGAIN) return 1; errors++; return -1; }
        c->sent += n;
    }
    return 0;
}

static int pump_recv(conn_t *c) {
    unsigned char buf[65536];
    while (c->received < msg_size) {
        size_t want = msg_size - c->received;
        ssize_t n = recv(c->fd, buf, want < sizeof buf ? want : sizeof buf, 0);
        if (n < 0) { if (errno == EAGAIN) return 1; errors++; return -1; }
        if (n == 0) { errors++; return -1; }
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != (unsigned char)(c->seq * 31 + (c->received + i) * 7 + c->fd)) { errors++; return -1; }
        c->received += n;
    }
    return 0;
}

static void record(double started) {
    long us = (long)((now() - started) * 1e6);
    if (us >= MAX_US) us = MAX_US - 1;
    if (us < 0) us = 0;
    hist[us]++;
}

static long percentile(double p) {
    unsigned long total = 0, acc = 0;
    for (long i = 0; i < MAX_US; i++) total += hist[i];
    if (!total) return -1;
    for (long i = 0; i < MAX_US; i++) { acc += hist[i]; if (acc >= total * p) return i; }
    return MAX_US;
}

int main(int argc, char **argv) {
    if (argc != 8) { fprintf(stderr, "usage: loadgen pingpong|connrate|hold HOST PORT N SIZE SECONDS WARMUP\n"); return 2; }
    const char *mode = argv[1];
    int n = atoi(argv[4]);
    msg_size = (size_t)atol(argv[5]);
    double seconds = atof(argv[6]), warmup = atof(argv[7]);
    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons(atoi(argv[3]));
    inet_pton(AF_INET, argv[2], &target.sin_addr);
    msg = malloc(msg_size ? msg_size : 1);
    hist = calloc(MAX_US, sizeof *hist);
    conn_t *conns = calloc(n, sizeof *conns);
    int ep = epoll_create1(0);
    int hold = !strcmp(mode, "hold"), connrate = !strcmp(mode, "connrate");
    for (int i = 0; i < n; i++) open_conn(ep, &conns[i]);
    struct epoll_event events[1024];
    double start = now(), measure_from = start + warmup, end = measure_from + seconds;
    long done = 0, held = 0;
    int printed_held = 0;
    for (;;) {
        double t = now();
        if (t >= end) break;
        int k = epoll_wait(ep, events, 1024, 50);
        for (int e = 0; e < k; e++) {
            conn_t *c = events[e].data.ptr;
            if (c->connecting) {
                int err = 0; socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) { errors++; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); open_conn(ep, c); continue; }
                if (!(events[e].events & EPOLLOUT)) continue;
                c->connecting = 0;
                if (hold) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                    held++;
                    continue;
                }
                c->started = now();
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
            if (hold) {
                if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) { errors++; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); held--; }
                continue;
            }
            for (int rounds = 0; rounds < 64; rounds++) {  /* bounded: other connections get a turn */
                if (c->sent < msg_size) {
                    int r = pump_send(c);
                    if (r < 0) goto reset;
                    if (r > 0) break;
                }
                int r = pump_recv(c);
                if (r < 0) goto reset;
                if (r > 0) break;
                /* one round trip complete */
                double tt = now();
                if (c->started >= measure_from && tt < end) { done++; record(c->started); }
                if (connrate) { epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); open_conn(ep, c); c->started = now(); break; }
                c->seq++; c->sent = c->received = 0; c->started = tt;
            }
            continue;
        reset:
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); open_conn(ep, c); c->started = now();
        }
        if (hold && !printed_held && held == n) { printf("held %d\n", n); fflush(stdout); printed_held = 1; }
    }
    if (hold) {
        printf("{\"mode\": \"hold\", \"held\": %ld, \"errors\": %ld}\n", held, errors);
        return 0;
    }
    printf("{\"mode\": \"%s\", \"per_s\": %.1f, \"p50_us\": %ld, \"p99_us\": %ld, \"errors\": %ld}\n",
           mode, done / seconds, percentile(0.5), percentile(0.99), errors);
    return 0;
}
