"""The memoising HPACK encoder of the APNs connections, decoded by a real HPACK decoder."""

from __future__ import annotations

import uuid

from hpack import Decoder

from push.apns import _ApnsHeaderEncoder


def request_headers(device: str, jwt: str) -> list[tuple[bytes, bytes]]:
    return [
        (b":method", b"POST"),
        (b":scheme", b"https"),
        (b":path", f"/3/device/{device}".encode()),
        (b"host", b"api.push.apple.com"),
        (b"apns-id", str(uuid.uuid4()).encode()),
        (b"apns-topic", b"com.example.shop"),
        (b"apns-priority", b"10"),
        (b"apns-collapse-id", f"n{device}".encode()),  # one per notification
        (b"authorization", f"bearer {jwt}".encode()),
    ]


def test_every_block_decodes_to_its_headers_across_token_changes_and_resizes() -> None:
    encoder, decoder = _ApnsHeaderEncoder(), Decoder()
    for n in range(40):
        jwt = "a" * 200 if n < 15 else "b" * 200  # the provider token is renewed once
        if n == 30:
            encoder.header_table_size = 1024  # the server's SETTINGS_HEADER_TABLE_SIZE
        device = "d" * 200 if n == 5 else f"device-{n}"  # lengths past the 7-bit prefix
        headers = request_headers(device, jwt)

        block = encoder.encode(headers)

        assert [tuple(h) for h in decoder.decode(block, raw=True)] == headers


def test_repeated_headers_are_references_and_unique_ones_never_indexed() -> None:
    encoder, decoder = _ApnsHeaderEncoder(), Decoder()
    for n in range(3):
        decoder.decode(encoder.encode(request_headers(f"device-{n}", "jwt")))

    block = encoder.encode(request_headers("device-3", "jwt"))

    assert len(block) < 110  # the JWT and topic by index, path, id and collapse id literals
    assert decoder.decode(block, raw=True)[2] == (b":path", b"/3/device/device-3")
    assert {name for name, _ in decoder.header_table.dynamic_entries}.isdisjoint(
        {b":path", b"apns-id", b"apns-collapse-id"}
    )
    assert encoder._memo  # the reused headers are remembered despite the unique collapse id
