"""A real SMTP server for Gatehouse's mail tests (aiosmtpd).

Listens on a free loopback port and prints that port on its first line of
output; every message it accepts is written to DIR as NNNNNN.eml, whole
(written under another name, then renamed), after X-Envelope-From,
X-Envelope-To and X-Auth-Login header lines saying what the SMTP exchange
carried. It stops when its standard input closes, so it never outlives the
test that started it.

  --login USER --password PASSWORD   require SMTP AUTH with these
  --starttls                         offer STARTTLS and require it
  --tls                              TLS from the first byte (smtps)
  --defer N                          answer the first N messages "451 try
                                     again later" (a transient failure)
  --reject                           answer every message "550" (permanent)
With --starttls or --tls it makes a certificate for 127.0.0.1 and localhost
from a throwaway certificate authority (trustme) and writes that
authority's certificate to DIR/ca.pem for the client to trust.
"""

import argparse
import asyncio
import os
import socket
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Writer:
    def __init__(self, directory, defer, reject):
        self.directory = directory
        self.count = 0
        self.defer = defer
        self.reject = reject

    async def handle_DATA(self, server, session, envelope):
        if self.reject:
            return "550 5.7.1 Refused by the test"
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 Try again later"
        self.count += 1
        path = os.path.join(self.directory, "%06d.eml" % self.count)
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else ""
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Auth-Login: %s\r\n" % (
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
            login,
        )
        with open(path + ".part", "wb") as out:
            out.write(head.encode() + envelope.original_content)
        os.rename(path + ".part", path)
        return "250 Message accepted"


def authenticator(login, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == login.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    return check


def tls_context(directory):
    import ssl

    import trustme

    authority = trustme.CA()
    authority.cert_pem.write_to_path(os.path.join(directory, "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--login")
    parser.add_argument("--password")
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--defer", type=int, default=0)
    parser.add_argument("--reject", action="store_true")
    args = parser.parse_args()
    context = tls_context(args.directory) if args.starttls or args.tls else None
    options = {"hostname": "localhost"}
    if args.login:
        options.update(authenticator=authenticator(args.login, args.password or ""), auth_required=True)
        # Over plain SMTP only in this test server; Gatehouse's own rules
        # about where credentials may go are lettre's.
        options.update(auth_require_tls=False)
    if args.starttls:
        options.update(tls_context=context, require_starttls=True)
    handler = Writer(args.directory, args.defer, args.reject)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options), sock=sock, ssl=context if args.tls else None
    )
    print(sock.getsockname()[1], flush=True)
    # Until the test closes our standard input (or ends).
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
