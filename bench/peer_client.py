#!/usr/bin/env python3
"""The benchmark's client for small operations on peer servers (bench/run --peers).

ferry_bench runs one command per measurement and reads numbers from stdout:
  ftp-size PORT NAME COUNT          SIZE round trips on one session: microseconds, one a line
  ftp-list PORT DIR                 one LIST of DIR, every line read: milliseconds
  ftp-small PORT DIR COUNT SOURCE   STOR SOURCE's bytes to DIR/s0..., then RETR each:
                                    "upload_ms download_ms" (a data connection per file)
  sftp-stat PORT USER KEY PATH COUNT   paramiko stat round trips: microseconds, one a line
  sftp-list PORT USER KEY DIR          paramiko listdir_attr of DIR: milliseconds
and serves pyftpdlib for it:
  serve-pyftpdlib PORT ROOT         anonymous, writable, sendfile on, until SIGTERM
Servers are on 127.0.0.1; FTP logins are anonymous. Session setup is not timed.
"""
import ftplib
import sys
import time

TIMEOUT = 120


def ftp_session(port):
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", int(port), timeout=TIMEOUT)
    ftp.login()
    ftp.voidcmd("TYPE I")
    return ftp


def sftp_session(port, user, key):
    import paramiko
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", int(port), username=user, key_filename=key,
                   look_for_keys=False, allow_agent=False, timeout=TIMEOUT)
    return client, client.open_sftp()


def round_trips(call, count):
    times = []
    for _ in range(int(count)):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e6)
    print("\n".join("%.3f" % t for t in times))


def ftp_size(port, name, count):
    ftp = ftp_session(port)
    round_trips(lambda: ftp.size(name), count)
    ftp.quit()


def ftp_list(port, directory):
    ftp = ftp_session(port)
    lines = []
    start = time.perf_counter()
    ftp.retrlines("LIST " + directory, lines.append)
    print("%.3f" % ((time.perf_counter() - start) * 1e3))
    ftp.quit()


def ftp_small(port, directory, count, source):
    with open(source, "rb") as f:
        data = f.read()
    ftp = ftp_session(port)
    names = ["%s/s%d" % (directory, i) for i in range(int(count))]
    start = time.perf_counter()
    for name in names:
        ftp.storbinary("STOR " + name, _Reader(data))
    upload = time.perf_counter() - start
    received = [0]

    def sink(block):
        received[0] += len(block)

    start = time.perf_counter()
    for name in names:
        ftp.retrbinary("RETR " + name, sink)
    download = time.perf_counter() - start
    ftp.quit()
    if received[0] != len(data) * len(names):
        sys.exit("ftp-small: downloaded %d bytes, expected %d" %
                 (received[0], len(data) * len(names)))
    print("%.3f %.3f" % (upload * 1e3, download * 1e3))


class _Reader:
    """A file-like object over bytes, read once per STOR."""

    def __init__(self, data):
        self.data, self.offset = data, 0

    def read(self, size):
        chunk = self.data[self.offset:self.offset + size]
        self.offset += len(chunk)
        return chunk


def sftp_stat(port, user, key, path, count):
    client, sftp = sftp_session(port, user, key)
    round_trips(lambda: sftp.stat(path), count)
    client.close()


def sftp_list(port, user, key, directory):
    client, sftp = sftp_session(port, user, key)
    start = time.perf_counter()
    entries = sftp.listdir_attr(directory)
    print("%.3f" % ((time.perf_counter() - start) * 1e3))
    client.close()
    if not entries:
        sys.exit("sftp-list: empty listing")


def serve_pyftpdlib(port, root):
    import logging
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer
    # A handler of its own keeps pyftpdlib from logging every command.
    log = logging.getLogger("pyftpdlib")
    log.addHandler(logging.StreamHandler())
    log.setLevel(logging.WARNING)
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(root, perm="elradfmwMT")

    class Handler(FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.use_sendfile = True
    server = FTPServer(("127.0.0.1", int(port)), Handler)
    server.max_cons = 256
    server.max_cons_per_ip = 256
    server.serve_forever()


COMMANDS = {
    "ftp-size": ftp_size,
    "ftp-list": ftp_list,
    "ftp-small": ftp_small,
    "sftp-stat": sftp_stat,
    "sftp-list": sftp_list,
    "serve-pyftpdlib": serve_pyftpdlib,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: peer_client.py {%s} ARGS..." % ",".join(COMMANDS))
    COMMANDS[sys.argv[1]](*sys.argv[2:])
