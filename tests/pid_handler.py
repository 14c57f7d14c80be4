"""A handler for the multi-process tests: answers each connection with the worker's pid."""
import os


def handle(sock, address):
    sock.recv(10)
    sock.sendall(str(os.getpid()).encode())
