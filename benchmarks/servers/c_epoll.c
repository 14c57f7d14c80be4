/* The physical limit: a C epoll echo server, one thread (compiled by run.py). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct { int fd; size_t len, off; char buf[65536]; } conn_t;

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8000;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) { perror("listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event events[1024];
    for (;;) {
        int k = epoll_wait(ep, events, 1024, -1);
        for (int i = 0; i < k; i++) {
            conn_t *c = events[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    conn_t *n = malloc(sizeof *n);
                    n->fd = fd; n->len = n->off = 0;
                    struct epoll_event e2 = {.events = EPOLLIN, .data.ptr = n};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e2);
                }
                continue;
            }
            if (c->len > c->off) {  /* finish a partial write first */
                ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
                if (w > 0) c->off += w;
                if (c->off < c->len) continue;
                struct epoll_event e2 = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e2);
            }
            ssize_t r = recv(c->fd, c->buf, sizeof c->buf, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN)) { close(c->fd); free(c); continue; }
            if (r < 0) continue;
            c->len = r; c->off = 0;
            ssize_t w = send(c->fd, c->buf, r, MSG_NOSIGNAL);
            if (w > 0) c->off = w;
            if (c->off < c->len) {
                struct epoll_event e2 = {.events = EPOLLOUT, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e2);
            }
        }
    }
}
