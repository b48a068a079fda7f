"""A real authoritative DNS server on loopback, for integration tests.

It speaks the DNS wire protocol over UDP and TCP on one port (dnspython parses and builds the
messages), answers from records the test sets and changes while it runs, follows CNAME chains
within its data, and answers NXDOMAIN / NODATA as an authoritative server does. Switches make
it answer SERVFAIL, or not answer at all, for chosen names, to exercise temporary failures.

    with DnsTestServer() as dns_server:
        dns_server.add("_amazonses.example.com", "TXT", token)
        settings = Settings(dns_server=dns_server.address)
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterable
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.TXT import TXT

_UDP_LIMIT_WITHOUT_EDNS = 512
_MAX_CHAIN = 8


def _name(text: str | dns.name.Name) -> dns.name.Name:
    if isinstance(text, dns.name.Name):
        return text
    return dns.name.from_text(text.rstrip(".") + ".").canonicalize()


def _rdtype(rdtype: str | dns.rdatatype.RdataType) -> dns.rdatatype.RdataType:
    return dns.rdatatype.RdataType.make(rdtype)


def _rdata(rdtype: dns.rdatatype.RdataType, value: str | Iterable[str]) -> dns.rdata.Rdata:
    if rdtype == dns.rdatatype.TXT:
        # A TXT value is text, not zone-file syntax: long text is cut into 255-octet strings
        # the way publishers do; a list gives the strings explicitly.
        if isinstance(value, str):
            data = value.encode("utf-8")
            strings = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
        else:
            strings = [part.encode("utf-8") for part in value]
        return TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings)
    assert isinstance(value, str), "only TXT values may be given as a list of strings"
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value, origin=dns.name.root, relativize=False)


class DnsTestServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, ttl: int = 60) -> None:
        self._host = host
        self._requested_port = port
        self._ttl = ttl
        self._lock = threading.Lock()
        self._records: dict[dns.name.Name, dict[dns.rdatatype.RdataType, list[dns.rdata.Rdata]]] = {}
        self._servfail: set[dns.name.Name] = set()
        self._silent: set[dns.name.Name] = set()
        self._udp: socketserver.UDPServer | None = None
        self._tcp: socketserver.TCPServer | None = None
        self._threads: list[threading.Thread] = []
        self.queries: list[tuple[str, str, str]] = []  # (transport, name, type) as received

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> DnsTestServer:
        server = self

        class UdpHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = server._reply(data, "udp")
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class TcpHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(10)
                try:
                    while True:
                        header = _read_exactly(conn, 2)
                        if header is None:
                            return
                        (length,) = struct.unpack("!H", header)
                        data = _read_exactly(conn, length)
                        if data is None:
                            return
                        reply = server._reply(data, "tcp")
                        if reply is not None:
                            conn.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    return

        # UDP and TCP on the same port number, as resolvers expect: take a free UDP port, then
        # the same number for TCP, trying again if TCP happens to have it taken.
        for _ in range(20):
            udp = _ThreadingUdp((self._host, self._requested_port), UdpHandler)
            port = udp.server_address[1]
            try:
                tcp = _ThreadingTcp((self._host, port), TcpHandler)
            except OSError:
                udp.server_close()
                if self._requested_port:
                    raise
                continue
            break
        else:
            raise RuntimeError("no port free for both UDP and TCP")
        self._udp, self._tcp = udp, tcp
        for srv in (udp, tcp):
            thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for srv in (self._udp, self._tcp):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self._udp = self._tcp = None

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._udp is None:
            raise RuntimeError("the server is not running")
        return int(self._udp.server_address[1])

    @property
    def address(self) -> str:
        """HOST:PORT, the form of Settings.dns_server and ``sesame local --dns``."""
        return f"{self._host}:{self.port}"

    # --- data -----------------------------------------------------------------------------------

    def add(self, name: str, rdtype: str, value: str | Iterable[str]) -> None:
        """Add one record (an RRset grows by one value; the same value twice is kept once)."""
        owner, kind = _name(name), _rdtype(rdtype)
        rdata = _rdata(kind, value)
        with self._lock:
            values = self._records.setdefault(owner, {}).setdefault(kind, [])
            if rdata not in values:
                values.append(rdata)

    def set(self, name: str, rdtype: str, *values: str) -> None:
        """Replace the RRset at (name, type) with ``values``."""
        self.remove(name, rdtype)
        for value in values:
            self.add(name, rdtype, value)

    def remove(self, name: str, rdtype: str | None = None, value: str | Iterable[str] | None = None) -> None:
        """Remove a value, an RRset, or (no type) every record at the name."""
        owner = _name(name)
        with self._lock:
            node = self._records.get(owner)
            if node is None:
                return
            if rdtype is None:
                del self._records[owner]
                return
            kind = _rdtype(rdtype)
            if value is None:
                node.pop(kind, None)
            else:
                rdata = _rdata(kind, value)
                node[kind] = [existing for existing in node.get(kind, []) if existing != rdata]
                if not node[kind]:
                    del node[kind]
            if not node:
                del self._records[owner]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._servfail.clear()
            self._silent.clear()
            self.queries.clear()

    def servfail(self, name: str, enabled: bool = True) -> None:
        """Answer SERVFAIL for questions about ``name``."""
        with self._lock:
            (self._servfail.add if enabled else self._servfail.discard)(_name(name))

    def silence(self, name: str, enabled: bool = True) -> None:
        """Never answer questions about ``name``: the client times out."""
        with self._lock:
            (self._silent.add if enabled else self._silent.discard)(_name(name))

    # --- answering ------------------------------------------------------------------------------

    def _reply(self, wire: bytes, transport: str) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # not DNS: nothing sensible to answer
        try:
            response = self.answer(query, transport)
        except Exception:
            # A bug in the test data or here: answer as a broken server would, visibly.
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
        if response is None:
            return None
        if transport == "tcp":
            return bytes(response.to_wire())
        limit = query.payload if query.edns >= 0 else _UDP_LIMIT_WITHOUT_EDNS
        try:
            return bytes(response.to_wire(max_size=limit))
        except dns.exception.TooBig:
            # Too big for UDP: an empty answer with TC set sends the client to TCP.
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.AA | dns.flags.TC
            return bytes(truncated.to_wire())

    def answer(self, query: dns.message.Message, transport: str = "direct") -> dns.message.Message | None:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if query.opcode() != 0 or len(query.question) != 1:
            response.set_rcode(dns.rcode.NOTIMP if query.opcode() != 0 else dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname, qtype = question.name.canonicalize(), dns.rdatatype.RdataType(question.rdtype)
        with self._lock:
            self.queries.append((transport, qname.to_text(omit_final_dot=True), qtype.name))
            if qname in self._silent:
                return None
            if qname in self._servfail:
                response.set_rcode(dns.rcode.SERVFAIL)
                return response
            name = qname
            for _ in range(_MAX_CHAIN):
                node = self._records.get(name)
                if node is None:
                    if not self._has_descendant(name):
                        response.set_rcode(dns.rcode.NXDOMAIN)
                    break
                if qtype in node:
                    response.answer.append(self._rrset(name, qtype, node[qtype]))
                    break
                cname = node.get(dns.rdatatype.CNAME)
                if cname and qtype != dns.rdatatype.CNAME:
                    response.answer.append(self._rrset(name, dns.rdatatype.CNAME, cname))
                    target = cname[0].target  # type: ignore[attr-defined]
                    name = target.canonicalize()
                    continue
                break  # the name exists without that type: NOERROR, no data
        return response

    def _has_descendant(self, name: dns.name.Name) -> bool:
        # An empty non-terminal (e.g. _domainkey.example.com under a selector) exists: NODATA,
        # not NXDOMAIN.
        return any(owner != name and owner.is_subdomain(name) for owner in self._records)

    def _rrset(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, values: list[dns.rdata.Rdata]
    ) -> dns.rrset.RRset:
        rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
        for value in values:
            rrset.add(value, self._ttl)
        return rrset


def _read_exactly(conn: socket.socket, count: int) -> bytes | None:
    chunks = b""
    while len(chunks) < count:
        chunk = conn.recv(count - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


class _ThreadingUdp(socketserver.ThreadingUDPServer):
    daemon_threads = True


class _ThreadingTcp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
